package dev.unroll.model;

import java.io.Serializable;

/**
 * The update rule: turns batch k's gradient sum into version k+1's parameters. Every rule first
 * averages the sum over the sequences it holds (a short last batch over its own size) and, with
 * {@code clipNorm}, scales that averaged gradient down to the norm; they differ in what they do
 * with it ({@link Sgd}, {@link Adam}, {@link AdaGrad}; docs/optimizers.md). Weights, biases and the
 * learned initial states all move (the initial states unless frozen); tied members receive equal
 * sums, a masked weight a zero one, so a tied group keeps one value and a masked weight stays 0
 * under every rule.
 *
 * <p>An optimizer carries state from one update to the next (momentum's velocity, Adam's moments,
 * AdaGrad's sums of squares), so an instance belongs to one training run; the streaming job
 * checkpoints {@link #state()} and resumes with {@link Settings#resume}. The settings are
 * serializable: Flink ships them inside the job's TrainingSpec.
 */
public abstract sealed class Optimizer permits Sgd, Adam, AdaGrad {
    public enum Kind {
        SGD, ADAM, ADAGRAD;

        /** As the job file writes it: {@code sgd} or {@code adam}. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param kind              which rule
     * @param learningRate      the step size
     * @param momentum          sgd only: heavy-ball momentum, 0 for plain gradient descent
     * @param clipNorm          0 for none; otherwise the averaged gradient is scaled down to this norm
     * @param learnInitialState false freezes the initial states at their starting values
     * @param beta1             adam only: decay of the first moment
     * @param beta2             adam only: decay of the second moment
     * @param epsilon           adam and adagrad: added to the root of the second moment (of the sum of squares)
     */
    public record Settings(Kind kind, double learningRate, double momentum, double clipNorm, boolean learnInitialState,
                           double beta1, double beta2, double epsilon) implements Serializable {
        public static final double BETA1 = 0.9;
        public static final double BETA2 = 0.999;
        public static final double EPSILON = 1.0e-8;

        /** Plain averaged gradient descent: the rule of docs/model.md. */
        public static Settings plain(double learningRate) {
            return sgd(learningRate, 0.0, 0.0, true);
        }

        public static Settings sgd(double learningRate, double momentum, double clipNorm, boolean learnInitialState) {
            return new Settings(Kind.SGD, learningRate, momentum, clipNorm, learnInitialState, BETA1, BETA2, EPSILON);
        }

        public static Settings adam(double learningRate, double beta1, double beta2, double epsilon, double clipNorm,
                                    boolean learnInitialState) {
            return new Settings(Kind.ADAM, learningRate, 0.0, clipNorm, learnInitialState, beta1, beta2, epsilon);
        }

        public static Settings adagrad(double learningRate, double epsilon, double clipNorm, boolean learnInitialState) {
            return new Settings(Kind.ADAGRAD, learningRate, 0.0, clipNorm, learnInitialState, BETA1, BETA2, epsilon);
        }

        /** A fresh optimizer: no velocity, Adam's moments and AdaGrad's sums 0. */
        public Optimizer create() {
            return resume(null);
        }

        /** An optimizer that goes on from {@link Optimizer#state()} of an earlier one with these settings (null: fresh). */
        public Optimizer resume(double[][] state) {
            return switch (kind) {
                case SGD -> new Sgd(this, state);
                case ADAM -> new Adam(this, state);
                case ADAGRAD -> new AdaGrad(this, state);
            };
        }
    }

    final Settings settings;

    Optimizer(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * What the next update needs besides the parameters, as a copy for checkpointing: arrays laid
     * out as weights, biases, initial states (per moment); null while there is none (before the
     * first update, or plain gradient descent).
     */
    public abstract double[][] state();

    /**
     * The parameters after update {@code update} (0 for the first: the one that makes version 1)
     * with a constrained (masked, tied) batch gradient sum.
     *
     * @throws IllegalArgumentException if the sum is empty or not finite: such an update is never applied
     */
    public final Parameters step(Parameters current, Gradients sum, long update) {
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
        Parameters next = current.copy();
        apply(next, sum, scale, update);
        return next;
    }

    /**
     * Moves {@code next} by the averaged (and clipped) gradient {@code sum * scale}; the initial
     * states only when they are learned.
     */
    abstract void apply(Parameters next, Gradients sum, double scale, long update);

    static double[][] copy(double[][] arrays) {
        if (arrays == null) {
            return null;
        }
        double[][] c = new double[arrays.length][];
        for (int k = 0; k < arrays.length; k++) {
            c[k] = arrays[k].clone();
        }
        return c;
    }
}
