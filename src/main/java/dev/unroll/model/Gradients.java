package dev.unroll.model;

/**
 * A gradient sum over some sequences: dE/dW, dE/db and dE/d(initial state), the loss E and the
 * number of sequences it covers, and how many of their binary target values the states got right
 * (the forward pass sees them anyway: prequential accuracy, {@link Prequential}). Sums add, so
 * shards of a batch can be computed anywhere and added in a fixed order.
 */
public final class Gradients {
    public final int units;
    public final double[] weights;
    public final double[] biases;
    public final double[] initialState;
    public double loss;
    public long count;
    /** target values that are binary for the activation ({@link Activation#isBinary}) */
    public long binaryTargets;
    /** of those, the ones the state got right ({@link Activation#isRight}) */
    public long binaryRight;

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
        binaryTargets += other.binaryTargets;
        binaryRight += other.binaryRight;
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
        Gradients c = new Gradients(units, weights.clone(), biases.clone(), initialState.clone(), loss, count);
        c.binaryTargets = binaryTargets;
        c.binaryRight = binaryRight;
        return c;
    }

    /** Counts one target value d whose state is h: in {@link #binaryTargets} when binary, in {@link #binaryRight} when right. */
    void judge(Activation f, double d, double h) {
        if (f.isBinary(d)) {
            binaryTargets++;
            if (f.isRight(d, h)) {
                binaryRight++;
            }
        }
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
