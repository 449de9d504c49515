package dev.unroll.model;

/**
 * A gradient sum over some sequences: dE/dW, dE/db and dE/d(initial state), the loss E and the
 * number of sequences it covers. Sums add, so shards of a batch can be computed anywhere and
 * added in a fixed order.
 */
public final class Gradients {
    public final int units;
    public final double[] weights;
    public final double[] biases;
    public final double[] initialState;
    public double loss;
    public long count;

    public Gradients(int units) {
        this(units, new double[units * units], new double[units], new double[units], 0.0, 0);
    }

    public Gradients(int units, double[] weights, double[] biases, double[] initialState, double loss, long count) {
        if (weights.length != units * units || biases.length != units || initialState.length != units) {
            throw new IllegalArgumentException("gradient shapes do not match " + units + " units");
        }
        this.units = units;
        this.weights = weights;
        this.biases = biases;
        this.initialState = initialState;
        this.loss = loss;
        this.count = count;
    }

    /** this += other. */
    public Gradients add(Gradients other) {
        if (other.units != units) {
            throw new IllegalArgumentException("cannot add gradients of " + other.units + " units to " + units);
        }
        addInto(weights, other.weights);
        addInto(biases, other.biases);
        addInto(initialState, other.initialState);
        loss += other.loss;
        count += other.count;
        return this;
    }

    public boolean isFinite() {
        return Double.isFinite(loss) && Parameters.allFinite(weights) && Parameters.allFinite(biases)
                && Parameters.allFinite(initialState);
    }

    /** The Euclidean norm over every weight, bias and initial-state derivative. */
    public double norm() {
        return Math.sqrt(sumOfSquares(weights) + sumOfSquares(biases) + sumOfSquares(initialState));
    }

    public Gradients copy() {
        return new Gradients(units, weights.clone(), biases.clone(), initialState.clone(), loss, count);
    }

    private static void addInto(double[] into, double[] from) {
        for (int k = 0; k < into.length; k++) {
            into[k] += from[k];
        }
    }

    private static double sumOfSquares(double[] values) {
        double s = 0.0;
        for (double v : values) {
            s += v * v;
        }
        return s;
    }
}
