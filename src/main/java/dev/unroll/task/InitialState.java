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
 * The lecture's case for learning the initial states: produce a fixed sequence with no input at
 * all. Nothing in the data tells the network where it is, so everything it produces comes from
 * the weights and where it starts. With learned initial states the start is a free choice (the
 * hidden units can begin as a ready-made "clock"); frozen at 0.5 the first steps must be spent
 * getting away from the symmetric middle.
 *
 * <p>The target rows are given ({@code sequence}: row t-1 is the desired state of the output
 * units at t) or drawn from {@code patternSeed} ({@code length} rows). Each case runs T steps,
 * T drawn from {@code minSteps..maxSteps} (default: the whole sequence), and targets the output
 * units at every step 1..T with the first T rows.
 */
final class InitialState implements Task {
    static final String TYPE = "initial-state";
    private static final Set<String> KEYS = Set.of("type", "sequence", "length", "patternSeed", "minSteps", "maxSteps");

    private final int[][] rows;
    private final int[] outputs;
    private final int minSteps;
    private final int maxSteps;
    private final double low;
    private final double high;

    InitialState(int[][] rows, int[] outputs, int minSteps, int maxSteps, double low, double high) {
        this.rows = rows;
        this.outputs = outputs;
        this.minSteps = minSteps;
        this.maxSteps = maxSteps;
        this.low = low;
        this.high = high;
    }

    static InitialState from(TaskSection s, Network net) {
        s.allowOnly(TYPE, KEYS);
        int[] outputs = players(s, TYPE, net);
        int[][] rows = s.bitRows("sequence", outputs.length);
        if (rows != null) {
            for (String key : List.of("length", "patternSeed")) {
                if (s.has(key)) {
                    throw s.fail(key, "only without task.sequence: the sequence is given");
                }
            }
        } else {
            int length = s.integer("length", 8, 1, 100_000);
            rows = drawRows(new SplittableRandom(s.longInteger("patternSeed", 0)), length, outputs.length);
        }
        int maxSteps = s.integer("maxSteps", rows.length, 1, rows.length);
        int minSteps = s.integer("minSteps", maxSteps, 1, rows.length);
        if (maxSteps < minSteps) {
            throw s.fail("maxSteps", "must be at least minSteps (" + minSteps + "), found " + maxSteps);
        }
        return new InitialState(rows, outputs, minSteps, maxSteps,
                net.activation().low(), net.activation().high());
    }

    /** The network's output units, the units that play the sequence; refused when there are none. */
    static int[] players(TaskSection s, String type, Network net) {
        int[] outputs = net.outputUnits();
        if (outputs.length == 0) {
            throw s.fail("type", type + " needs a network with outputUnits (the units that produce the sequence)");
        }
        for (int u : outputs) {
            if (net.isInputUnit(u)) {
                throw s.fail("type", type + ": output unit " + u + " is also an input unit");
            }
        }
        return outputs;
    }

    /** {@code length} rows of {@code width} random bits. */
    static int[][] drawRows(SplittableRandom rnd, int length, int width) {
        int[][] rows = new int[length][width];
        for (int[] row : rows) {
            for (int k = 0; k < width; k++) {
                row[k] = rnd.nextInt(2);
            }
        }
        return rows;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Sequence generate(SplittableRandom rnd, String id) {
        int steps = minSteps + rnd.nextInt(maxSteps - minSteps + 1);
        List<Sequence.Target> targets = new ArrayList<>(steps);
        for (int t = 1; t <= steps; t++) {
            double[] values = new double[outputs.length];
            for (int k = 0; k < values.length; k++) {
                values[k] = rows[t - 1][k] == 1 ? high : low;
            }
            targets.add(new Sequence.Target(t, outputs.clone(), values));
        }
        return new Sequence(id, steps, null, null, null, 0, targets);
    }

    /** The rows the output units play, 0/1 per output unit. */
    List<List<Integer>> rows() {
        return Arrays.stream(rows).map(r -> Arrays.stream(r).boxed().toList()).toList();
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TYPE);
        m.put("sequence", rows());
        m.put("minSteps", minSteps);
        m.put("maxSteps", maxSteps);
        return m;
    }
}
