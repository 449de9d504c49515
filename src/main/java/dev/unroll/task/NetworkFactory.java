package dev.unroll.task;

import dev.unroll.model.Activation;
import dev.unroll.model.Loss;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;

import java.util.SplittableRandom;

/**
 * Starting networks for the experiments: fully connected, small random weights, zero biases and
 * one value for every initial state. The same arguments give the same network, so a job's
 * committed network file can be regenerated ({@code unroll init}).
 */
public final class NetworkFactory {
    private NetworkFactory() {
    }

    /**
     * @param weightScale  weights are drawn uniformly from [-weightScale, weightScale]
     * @param initialState the starting value of every unit's learned initial state
     */
    public static Network random(int units, int[] inputUnits, int[] outputUnits, Activation activation, Loss loss,
                                 double weightScale, double initialState, long seed) {
        if (units < 1) {
            throw new IllegalArgumentException("a network needs at least one unit");
        }
        if (!(weightScale >= 0) || !Double.isFinite(weightScale) || !Double.isFinite(initialState)) {
            throw new IllegalArgumentException("the weight scale and initial state must be finite, the scale not negative");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] weights = new double[units * units];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = weightScale == 0 ? 0.0 : (2.0 * rnd.nextDouble() - 1.0) * weightScale;
        }
        double[] initial = new double[units];
        java.util.Arrays.fill(initial, initialState);
        return new Network(units, inputUnits, outputUnits, activation, loss, null, new int[0][],
                new Parameters(units, weights, new double[units], initial));
    }
}
