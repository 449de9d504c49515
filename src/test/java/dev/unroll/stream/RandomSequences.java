package dev.unroll.stream;

import dev.unroll.model.Activation;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random valid sequences for a given network, from a seed: every input mode and target form. */
public final class RandomSequences {
    private RandomSequences() {
    }

    public static List<String> jsonLines(Network net, long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> lines = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            lines.add(SequenceJson.write(one(net, rnd, "s" + seed + "-" + k)));
        }
        return lines;
    }

    private static Sequence one(Network net, SplittableRandom rnd, String id) {
        int n = net.units();
        int steps = 1 + rnd.nextInt(25);
        int[] initialUnits = new int[0];
        double[] initialValues = new double[0];
        if (rnd.nextBoolean()) {
            List<Integer> chosen = new ArrayList<>();
            for (int u = 0; u < n; u++) {
                if (rnd.nextBoolean()) {
                    chosen.add(u);
                }
            }
            initialUnits = chosen.stream().mapToInt(Integer::intValue).toArray();
            initialValues = new double[initialUnits.length];
            for (int k = 0; k < initialValues.length; k++) {
                initialValues[k] = state(net.activation(), rnd);
            }
        }
        double[] inputs = null;
        if (net.inputCount() > 0 && rnd.nextInt(4) > 0) {
            inputs = new double[steps * net.inputCount()];
            for (int k = 0; k < inputs.length; k++) {
                inputs[k] = state(net.activation(), rnd);
            }
        }
        List<Sequence.Target> targets = new ArrayList<>();
        int[] outputs = net.outputUnits().length > 0 ? net.outputUnits() : new int[] {n - 1};
        for (int t = 1; t <= steps; t++) {
            if (t == steps || rnd.nextInt(3) == 0) {
                double[] values = new double[outputs.length];
                for (int k = 0; k < values.length; k++) {
                    values[k] = rnd.nextBoolean() ? (rnd.nextBoolean() ? 1.0 : 0.0) : rnd.nextDouble();
                }
                targets.add(new Sequence.Target(t, outputs.clone(), values));
            }
        }
        return new Sequence(id, steps, initialUnits, initialValues, inputs, net.inputCount(), targets);
    }

    private static double state(Activation activation, SplittableRandom rnd) {
        return activation == Activation.LOGISTIC ? rnd.nextDouble() : 2 * rnd.nextDouble() - 1;
    }
}
