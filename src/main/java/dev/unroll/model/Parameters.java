package dev.unroll.model;

import java.util.Arrays;

/**
 * The learned numbers of a network: weights (row-major, {@code weights[j*N+i]} is the weight
 * from unit i at t-1 to unit j at t), biases and the learned initial state of every unit.
 * Arrays are owned by this object; {@link #copy()} before changing a shared one.
 */
public final class Parameters {
    public final int units;
    public final double[] weights;
    public final double[] biases;
    public final double[] initialState;

    public Parameters(int units, double[] weights, double[] biases, double[] initialState) {
        if (weights.length != units * units || biases.length != units || initialState.length != units) {
            throw new IllegalArgumentException("parameter shapes do not match " + units + " units");
        }
        this.units = units;
        this.weights = weights;
        this.biases = biases;
        this.initialState = initialState;
    }

    public static Parameters zeros(int units) {
        return new Parameters(units, new double[units * units], new double[units], new double[units]);
    }

    public Parameters copy() {
        return new Parameters(units, weights.clone(), biases.clone(), initialState.clone());
    }

    public double weight(int j, int i) {
        return weights[j * units + i];
    }

    public boolean isFinite() {
        return allFinite(weights) && allFinite(biases) && allFinite(initialState);
    }

    static boolean allFinite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Parameters p && units == p.units && Arrays.equals(weights, p.weights)
                && Arrays.equals(biases, p.biases) && Arrays.equals(initialState, p.initialState);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(weights) * 31 + Arrays.hashCode(biases) * 17 + Arrays.hashCode(initialState);
    }
}
