package dev.unroll.model;

import java.io.Serializable;

/**
 * The update rule: {@code param -= learningRate * sum / count}, averaging a batch's gradient
 * sum over the sequences it holds (a short last batch over its own size). Weights, biases and
 * the learned initial states all move; tied members receive equal sums and so move together.
 *
 * <p>Optional, off by default so the plain rule holds: heavy-ball momentum, gradient-norm
 * clipping of the averaged gradient, and freezing the initial states. Momentum keeps a velocity,
 * so an instance belongs to one training run; the streaming job checkpoints {@link #velocity()},
 * not the instance. The settings are serializable: Flink ships them inside the job's TrainingSpec.
 */
public final class Sgd {
    /**
     * @param learningRate      the step size
     * @param momentum          0 for plain gradient descent
     * @param clipNorm          0 for none; otherwise the averaged gradient is scaled down to this norm
     * @param learnInitialState false freezes the initial states at their starting values
     */
    public record Settings(double learningRate, double momentum, double clipNorm, boolean learnInitialState)
            implements Serializable {
        public static Settings plain(double learningRate) {
            return new Settings(learningRate, 0.0, 0.0, true);
        }
    }

    private final Settings settings;
    private Gradients velocity;

    public Sgd(Settings settings) {
        this.settings = settings;
    }

    /** Resumes a run: the velocity of momentum as {@link #velocity()} returned it (null for none). */
    public Sgd(Settings settings, Gradients velocity) {
        this.settings = settings;
        this.velocity = velocity == null ? null : velocity.copy();
    }

    /** The momentum velocity so far, a copy for checkpointing; null before the first update or without momentum. */
    public Gradients velocity() {
        return velocity == null ? null : velocity.copy();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * The parameters after one update with a constrained (masked, tied) batch gradient sum.
     *
     * @throws IllegalArgumentException if the sum is empty or not finite: such an update is never applied
     */
    public Parameters step(Parameters current, Gradients sum) {
        if (sum.count <= 0) {
            throw new IllegalArgumentException("a gradient sum over no sequences cannot be applied");
        }
        if (!sum.isFinite()) {
            throw new IllegalArgumentException("a gradient sum that is not finite is never applied");
        }
        double scale = 1.0 / sum.count;
        if (settings.clipNorm() > 0) {
            double norm = sum.norm() * scale;
            if (norm > settings.clipNorm()) {
                scale *= settings.clipNorm() / norm;
            }
        }
        Gradients direction = sum;
        if (settings.momentum() != 0.0) {
            if (velocity == null) {
                velocity = new Gradients(sum.units);
            }
            blend(velocity.weights, sum.weights, scale);
            blend(velocity.biases, sum.biases, scale);
            blend(velocity.initialState, sum.initialState, scale);
            direction = velocity;
            scale = 1.0;
        }
        Parameters next = current.copy();
        double lr = settings.learningRate();
        descend(next.weights, direction.weights, lr, scale);
        descend(next.biases, direction.biases, lr, scale);
        if (settings.learnInitialState()) {
            descend(next.initialState, direction.initialState, lr, scale);
        }
        return next;
    }

    private void blend(double[] v, double[] g, double scale) {
        for (int k = 0; k < v.length; k++) {
            v[k] = settings.momentum() * v[k] + g[k] * scale;
        }
    }

    private static void descend(double[] p, double[] g, double lr, double scale) {
        for (int k = 0; k < p.length; k++) {
            p[k] -= lr * (g[k] * scale);
        }
    }
}
