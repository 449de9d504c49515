package dev.unroll.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Random networks and sequences from fixed seeds, covering every feature of the model contract:
 * the three activations, both losses, masks, tied groups, initial states given by the data,
 * input clamping (input units listed unsorted, and input units without inputs) and every kind of
 * target list. Each case records the features it exercises, so a test can check the coverage.
 */
public final class RandomCases {
    private static final int[] STEPS = {1, 1, 2, 3, 4, 6, 9, 15, 30, 60, 120, 300};

    /** One generated case: the features it exercises, e.g. {@code tanh}, {@code mask}, {@code T>=100}. */
    public record Case(long seed, Network net, Sequence seq, TreeSet<String> features) {
        @Override
        public String toString() {
            return "seed " + seed + " N=" + net.units() + " T=" + seq.steps() + " " + String.join(",", features);
        }
    }

    private RandomCases() {
    }

    public static List<Case> generate(long firstSeed, int count) {
        List<Case> cases = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            cases.add(generate(firstSeed + k));
        }
        return cases;
    }

    public static Case generate(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeSet<String> features = new TreeSet<>();
        int n = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 3 : 8);
        int steps = STEPS[rnd.nextInt(STEPS.length)];
        features.add(steps == 1 ? "T=1" : steps >= 100 ? "T>=100" : "T<100");

        Activation activation = Activation.values()[rnd.nextInt(3)];
        features.add(activation.jsonName());
        Loss loss = activation == Activation.LOGISTIC && rnd.nextBoolean() ? Loss.CROSS_ENTROPY : Loss.SQUARED;
        features.add(loss.jsonName());

        // weights: contracting for long linear runs, sometimes large (saturating) for short ones
        double scale;
        if (activation == Activation.LINEAR) {
            scale = 0.9 / n;
        } else if (steps <= 15 && rnd.nextInt(3) == 0) {
            scale = 4.0 / Math.sqrt(n);
            features.add("large-weights");
        } else {
            scale = 1.6 / Math.sqrt(n);
        }
        double[] weights = new double[n * n];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = scale * (2 * rnd.nextDouble() - 1);
        }
        double[] biases = new double[n];
        double[] initialState = new double[n];
        for (int u = 0; u < n; u++) {
            biases[u] = rnd.nextDouble() - 0.5;
            initialState[u] = state(activation, rnd);
        }

        boolean[] mask = null;
        if (rnd.nextInt(5) < 2) {
            mask = new boolean[n * n];
            for (int k = 0; k < mask.length; k++) {
                mask[k] = rnd.nextInt(10) >= 3;
                if (!mask[k]) {
                    weights[k] = 0.0;
                }
            }
            features.add("mask");
        }

        int[][] tied = new int[0][];
        if (rnd.nextInt(5) < 2) {
            List<Integer> free = new ArrayList<>();
            for (int k = 0; k < n * n; k++) {
                if (mask == null || mask[k]) {
                    free.add(k);
                }
            }
            Collections.shuffle(free, new Random(rnd.nextLong()));
            List<int[]> groups = new ArrayList<>();
            int wanted = 1 + rnd.nextInt(3);
            int at = 0;
            for (int g = 0; g < wanted; g++) {
                int size = 2 + rnd.nextInt(3);
                if (at + size > free.size()) {
                    break;
                }
                int[] group = new int[size];
                for (int m = 0; m < size; m++) {
                    group[m] = free.get(at++);
                    weights[group[m]] = weights[group[0]];
                }
                groups.add(group);
            }
            if (!groups.isEmpty()) {
                tied = groups.toArray(new int[0][]);
                features.add("tied");
            }
        }

        // input units, listed in a shuffled order; some networks have them but the data gives no inputs
        int[] inputUnits = new int[0];
        boolean haveInputs = false;
        if (n >= 2 && rnd.nextInt(5) < 3) {
            int count = 1 + rnd.nextInt(Math.max(1, n / 2));
            inputUnits = shuffledUnits(n, rnd).subList(0, count).stream().mapToInt(Integer::intValue).toArray();
            int[] sorted = inputUnits.clone();
            Arrays.sort(sorted);
            if (!Arrays.equals(sorted, inputUnits)) {
                features.add("unsorted-inputUnits");
            }
            haveInputs = rnd.nextInt(4) != 0;
            features.add(haveInputs ? "inputs" : "inputUnits-without-inputs");
        }
        double[] inputs = null;
        if (haveInputs) {
            inputs = new double[steps * inputUnits.length];
            for (int k = 0; k < inputs.length; k++) {
                inputs[k] = activation == Activation.LOGISTIC ? 0.02 + 0.96 * rnd.nextDouble() : 2 * rnd.nextDouble() - 1;
            }
        }
        boolean[] isInput = new boolean[n];
        for (int u : inputUnits) {
            isInput[u] = true;
        }

        // outputs: a random subset, in a random order
        List<Integer> order = shuffledUnits(n, rnd);
        int[] outputUnits = order.subList(0, 1 + rnd.nextInt(n)).stream().mapToInt(Integer::intValue).toArray();

        int[] initialUnits = null;
        double[] initialValues = null;
        if (rnd.nextInt(5) < 2) {
            List<Integer> some = shuffledUnits(n, rnd);
            int count = 1 + rnd.nextInt(n);
            initialUnits = some.subList(0, count).stream().mapToInt(Integer::intValue).toArray();
            initialValues = new double[count];
            for (int k = 0; k < count; k++) {
                initialValues[k] = state(activation, rnd);
            }
            features.add(count == n ? "initial-all" : "initial-subset");
            if (haveInputs) {
                for (int u : initialUnits) {
                    if (isInput[u]) {
                        features.add("initial-overridden-by-inputs0");
                    }
                }
            }
        }

        List<Sequence.Target> targets = new ArrayList<>();
        int kinds = rnd.nextInt(12) == 0 ? 0 : 1 + rnd.nextInt(3);
        if (kinds == 0) {
            features.add("no-targets");
        }
        for (int k = 0; k < kinds; k++) {
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    for (int t = 1; t <= steps; t++) {
                        targets.add(target(t, outputUnits, activation, loss, rnd));
                    }
                    features.add("targets-every-step");
                }
                case 1 -> {
                    targets.add(target(steps, allUnits(n), activation, loss, rnd));
                    features.add("targets-final");
                }
                case 2 -> {
                    int last = 1 + rnd.nextInt(Math.min(steps, 5));
                    for (int t = steps - last + 1; t <= steps; t++) {
                        targets.add(target(t, allUnits(n), activation, loss, rnd));
                    }
                    features.add("targets-last-several");
                }
                case 3 -> {
                    int entries = 1 + rnd.nextInt(4);
                    for (int e = 0; e < entries; e++) {
                        List<Integer> units = shuffledUnits(n, rnd);
                        int[] some = units.subList(0, 1 + rnd.nextInt(n)).stream().mapToInt(Integer::intValue).toArray();
                        targets.add(target(1 + rnd.nextInt(steps), some, activation, loss, rnd));
                    }
                    features.add("targets-sparse");
                }
                default -> {
                    if (inputUnits.length > 0) {
                        // on input units: clamped (t < T with inputs) or following the dynamics
                        int t = 1 + rnd.nextInt(steps);
                        targets.add(target(t, new int[] {inputUnits[rnd.nextInt(inputUnits.length)]}, activation, loss, rnd));
                        targets.add(target(steps, inputUnits.clone(), activation, loss, rnd));
                        features.add(haveInputs && t < steps ? "target-on-clamped-unit" : "target-on-input-unit");
                    } else {
                        targets.add(target(steps, outputUnits, activation, loss, rnd));
                        features.add("targets-final");
                    }
                }
            }
        }
        if (!targets.isEmpty() && rnd.nextInt(3) == 0) {
            // the same (t, unit) again with another desired value, and a unit named twice in one entry
            Sequence.Target again = targets.get(rnd.nextInt(targets.size()));
            int u = again.units()[0];
            targets.add(target(again.t(), new int[] {u, u}, activation, loss, rnd));
            features.add("repeated-target");
        }
        if (targets.size() > 1 && rnd.nextBoolean()) {
            Collections.shuffle(targets, new Random(rnd.nextLong()));
            features.add("targets-shuffled");
        }

        Network net = new Network(n, inputUnits, outputUnits, activation, loss, mask, tied,
                new Parameters(n, weights, biases, initialState));
        Sequence seq = new Sequence("case-" + seed, steps, initialUnits, initialValues, inputs, inputUnits.length, targets);
        return new Case(seed, net, seq, features);
    }

    static Sequence.Target target(int t, int[] units, Activation activation, Loss loss, SplittableRandom rnd) {
        double[] values = new double[units.length];
        for (int k = 0; k < values.length; k++) {
            if (loss == Loss.CROSS_ENTROPY) {
                int pick = rnd.nextInt(4);
                values[k] = pick == 0 ? 0.0 : pick == 1 ? 1.0 : rnd.nextDouble();
            } else {
                values[k] = state(activation, rnd);
            }
        }
        return new Sequence.Target(t, units.clone(), values);
    }

    /** A plausible state for the activation's range. */
    static double state(Activation activation, SplittableRandom rnd) {
        return switch (activation) {
            case LOGISTIC -> rnd.nextDouble();
            case TANH -> 2 * rnd.nextDouble() - 1;
            case LINEAR -> 3 * rnd.nextDouble() - 1.5;
        };
    }

    static List<Integer> shuffledUnits(int n, SplittableRandom rnd) {
        List<Integer> units = new ArrayList<>();
        for (int u = 0; u < n; u++) {
            units.add(u);
        }
        Collections.shuffle(units, new Random(rnd.nextLong()));
        return units;
    }

    static int[] allUnits(int n) {
        int[] all = new int[n];
        for (int u = 0; u < n; u++) {
            all[u] = u;
        }
        return all;
    }
}
