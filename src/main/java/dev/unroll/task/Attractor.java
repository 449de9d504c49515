package dev.unroll.task;

import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The lecture's attractor experiment: a network that settles to stored patterns.
 *
 * <p>Some binary patterns over the visible units are stored ({@code patterns}, or
 * {@code patternCount} drawn from {@code patternSeed}). Each sequence picks one, gives the
 * initial state of {@code given} of the visible units (all by default) as that pattern with
 * {@code minFlips..maxFlips} of them flipped, lets every other unit start from the learned
 * initial state, and targets the clean pattern on every visible unit over the last
 * {@code settleSteps} of its T steps, T drawn from {@code minSteps..steps}. Targets over several
 * steps, not just the last, and a T the network cannot predict, reward a state that stays put:
 * an attractor rather than a trajectory that happens to pass the pattern at the right time.
 */
final class Attractor implements Task {
    static final String TYPE = "attractor";
    private static final Set<String> KEYS = Set.of("type", "patterns", "patternCount", "patternSeed", "visibleUnits",
            "given", "minFlips", "maxFlips", "minSteps", "steps", "settleSteps");
    private static final int DRAWS = 100_000;

    private final int[][] patterns;
    private final int[] visible;
    private final int given;
    private final int minFlips;
    private final int maxFlips;
    private final int minSteps;
    private final int steps;
    private final int settleSteps;
    private final double low;
    private final double high;

    private Attractor(int[][] patterns, int[] visible, int given, int minFlips, int maxFlips, int minSteps, int steps,
                      int settleSteps, double low, double high) {
        this.patterns = patterns;
        this.visible = visible;
        this.given = given;
        this.minFlips = minFlips;
        this.maxFlips = maxFlips;
        this.minSteps = minSteps;
        this.steps = steps;
        this.settleSteps = settleSteps;
        this.low = low;
        this.high = high;
    }

    static Attractor from(TaskSection s, Network net) {
        s.allowOnly(TYPE, KEYS);
        int[] visible = s.integers("visibleUnits", 0, net.units() - 1);
        if (visible == null) {
            visible = net.outputUnits();
            if (visible.length == 0) {
                throw s.fail("visibleUnits", "missing: the network names no outputUnits, so list the units the patterns live on");
            }
        }
        if (visible.length == 0) {
            throw s.fail("visibleUnits", "must name at least one unit");
        }
        boolean[] seen = new boolean[net.units()];
        for (int k = 0; k < visible.length; k++) {
            int u = visible[k];
            if (seen[u]) {
                throw s.fail("visibleUnits[" + k + "]", "unit " + u + " is listed twice");
            }
            if (net.isInputUnit(u)) {
                throw s.fail("visibleUnits[" + k + "]", "unit " + u + " is an input unit");
            }
            seen[u] = true;
        }
        int given = s.integer("given", visible.length, 0, visible.length);
        int minFlips = s.integer("minFlips", 0, 0, visible.length);
        int maxFlips = s.integer("maxFlips", 1, 0, visible.length);
        if (maxFlips < minFlips) {
            throw s.fail("maxFlips", "must be at least minFlips (" + minFlips + "), found " + maxFlips);
        }
        if (maxFlips > given) {
            throw s.fail("maxFlips", "cannot flip more units than the " + given + " given, found " + maxFlips);
        }
        int steps = s.integer("steps", 6, 1, 100_000);
        int minSteps = s.integer("minSteps", steps, 1, steps);
        int settleSteps = s.integer("settleSteps", Math.min(3, minSteps), 1, minSteps);

        int[][] patterns = s.bitRows("patterns", visible.length);
        if (patterns != null && s.has("patternCount")) {
            throw s.fail("patternCount", "give either patterns or patternCount, not both");
        }
        int minDistance = 2 * maxFlips + 1;
        if (patterns == null) {
            int count = s.integer("patternCount", 3, 1, 10_000);
            long seed = s.longInteger("patternSeed", 0);
            patterns = draw(count, visible.length, minDistance, seed);
            if (patterns == null) {
                throw s.fail("patternCount", "cannot draw " + count + " patterns of " + visible.length
                        + " units that differ in at least " + minDistance + " units (needed with maxFlips " + maxFlips + ")");
            }
        } else {
            if (s.has("patternSeed")) {
                throw s.fail("patternSeed", "only with patternCount: the patterns are given");
            }
            for (int p = 0; p < patterns.length; p++) {
                for (int q = 0; q < p; q++) {
                    int d = distance(patterns[p], patterns[q]);
                    if (d < minDistance) {
                        throw s.fail("patterns[" + p + "]", "differs from patterns[" + q + "] in " + d + " units; with maxFlips "
                                + maxFlips + " a corrupted pattern could be nearer the other one (need at least " + minDistance + ")");
                    }
                }
            }
        }
        return new Attractor(patterns, visible, given, minFlips, maxFlips, minSteps, steps,
                settleSteps, net.activation().low(), net.activation().high());
    }

    /** Random patterns pairwise at least {@code minDistance} apart, or null if none were found. */
    private static int[][] draw(int count, int width, int minDistance, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] out = new int[count][];
        int made = 0;
        for (int tries = 0; made < count && tries < DRAWS; tries++) {
            int[] p = new int[width];
            for (int k = 0; k < width; k++) {
                p[k] = rnd.nextInt(2);
            }
            boolean far = true;
            for (int q = 0; q < made && far; q++) {
                far = distance(p, out[q]) >= minDistance;
            }
            if (far) {
                out[made++] = p;
            }
        }
        return made == count ? out : null;
    }

    static int distance(int[] p, int[] q) {
        int d = 0;
        for (int k = 0; k < p.length; k++) {
            d += p[k] != q[k] ? 1 : 0;
        }
        return d;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Sequence generate(SplittableRandom rnd, String id) {
        int[] pattern = patterns[rnd.nextInt(patterns.length)];
        // which visible units the data gives: the first `given` of a random permutation
        int[] order = new int[visible.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        for (int k = 0; k < given; k++) {
            int pick = k + rnd.nextInt(order.length - k);
            int swap = order[k];
            order[k] = order[pick];
            order[pick] = swap;
        }
        int[] chosen = Arrays.copyOf(order, given);
        // flip the first `flips` of the chosen ones (already in random order)
        int flips = minFlips + rnd.nextInt(maxFlips - minFlips + 1);
        boolean[] flipped = new boolean[visible.length];
        for (int k = 0; k < flips; k++) {
            flipped[chosen[k]] = true;
        }
        Arrays.sort(chosen);
        int[] initialUnits = new int[given];
        double[] initialValues = new double[given];
        for (int k = 0; k < given; k++) {
            int v = chosen[k];
            initialUnits[k] = visible[v];
            initialValues[k] = (pattern[v] == 1) != flipped[v] ? high : low;
        }
        double[] clean = new double[visible.length];
        for (int v = 0; v < visible.length; v++) {
            clean[v] = pattern[v] == 1 ? high : low;
        }
        int length = minSteps + rnd.nextInt(steps - minSteps + 1);
        List<Sequence.Target> targets = new ArrayList<>(settleSteps);
        for (int t = length - settleSteps + 1; t <= length; t++) {
            targets.add(new Sequence.Target(t, visible.clone(), clean.clone()));
        }
        return new Sequence(id, length, initialUnits, initialValues, null, 0, targets);
    }

    /** The stored patterns, 0/1 per visible unit. */
    int[][] patterns() {
        int[][] copy = new int[patterns.length][];
        for (int p = 0; p < patterns.length; p++) {
            copy[p] = patterns[p].clone();
        }
        return copy;
    }

    int[] visibleUnits() {
        return visible.clone();
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TYPE);
        m.put("patterns", Arrays.stream(patterns).map(p -> Arrays.stream(p).boxed().toList()).toList());
        m.put("visibleUnits", Arrays.stream(visible).boxed().toList());
        m.put("given", given);
        m.put("minFlips", minFlips);
        m.put("maxFlips", maxFlips);
        m.put("minSteps", minSteps);
        m.put("steps", steps);
        m.put("settleSteps", settleSteps);
        return m;
    }
}
