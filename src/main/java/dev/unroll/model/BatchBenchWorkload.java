package dev.unroll.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The {@code bench} workload, fixed so that figures compare across machines and with PyTorch,
 * shared by the command and the JMH benchmarks: a fully connected logistic network of N units with one clamped input unit
 * (unit 0) and squared-error targets on the last N/4 units (at least one) at every step.
 */
public final class BatchBenchWorkload {
    private BatchBenchWorkload() {
    }

    /** Random weights of scale 1/sqrt(N), so activities neither saturate nor vanish over many steps. */
    public static Network network(int n, SplittableRandom rnd) {
        double[] weights = new double[n * n];
        double scale = 1.0 / Math.sqrt(n);
        for (int k = 0; k < weights.length; k++) {
            weights[k] = scale * gaussian(rnd);
        }
        double[] biases = new double[n];
        double[] initial = new double[n];
        for (int u = 0; u < n; u++) {
            biases[u] = 0.1 * gaussian(rnd);
            initial[u] = 0.5;
        }
        int targetCount = Math.max(1, n / 4);
        int[] outputs = new int[targetCount];
        for (int k = 0; k < targetCount; k++) {
            outputs[k] = n - targetCount + k;
        }
        return new Network(n, new int[] {0}, outputs, Activation.LOGISTIC, Loss.SQUARED, null, new int[0][],
                new Parameters(n, weights, biases, initial));
    }

    /** A random input in (0, 1) on the input unit and a 0/1 target on every output unit at every step. */
    public static Sequence sequence(Network net, int steps, SplittableRandom rnd, String id) {
        double[] inputs = new double[steps];
        for (int t = 0; t < steps; t++) {
            inputs[t] = rnd.nextDouble();
        }
        int[] outputs = net.outputUnits();
        List<Sequence.Target> targets = new ArrayList<>(steps);
        for (int t = 1; t <= steps; t++) {
            double[] values = new double[outputs.length];
            for (int k = 0; k < values.length; k++) {
                values[k] = rnd.nextBoolean() ? 1.0 : 0.0;
            }
            // every step's target shares one units array: a million-step sequence stays small
            targets.add(new Sequence.Target(t, outputs, values));
        }
        return new Sequence(id, steps, null, null, inputs, net.inputCount(), targets);
    }

    /** B sequences of T steps. */
    public static List<Sequence> batch(Network net, int steps, int batch, SplittableRandom rnd) {
        List<Sequence> seqs = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            seqs.add(sequence(net, steps, rnd, "bench-" + b));
        }
        return seqs;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
    }
}
