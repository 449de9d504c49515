package dev.unroll.model;

import java.io.Serializable;

/**
 * Prequential (test-then-train) figures of an online learner: every batch's loss is taken at a
 * version that has not trained on it (version max(0, k - S) for batch k), so the losses of the
 * batches, in the order trained, measure the model on data it has not yet seen. This keeps two
 * summaries of them, per sequence, updated once per batch:
 * <ul>
 * <li>a window: the mean loss per sequence over the newest batches that hold at least
 *     {@code window} sequences between them (all so far while fewer have been trained);
 * <li>a fading average with factor alpha per sequence (Gama, Sebastiao and Rodrigues 2013):
 *     {@code F = alpha^n F + L, N = alpha^n N + n} for a batch of n sequences with loss sum L,
 *     the figure F / N; alpha = 1 is the mean over everything.
 * </ul>
 * Accuracy is the same over binary target values: right ones over binary ones in the window,
 * and faded likewise; NaN when the targets include no binary value.
 *
 * <p>The offline trainer and the streaming job (the aggregator, the per-key trainer) each keep
 * one, fed the same batch sums in the same order, so they report the same figures. Its state
 * travels in checkpoints as {@link #state()}.
 */
public final class Prequential {
    /**
     * @param window        sequences in the window (it holds whole batches: at least this many)
     * @param fadingFactor  alpha, per sequence, in (0, 1]
     */
    public record Settings(int window, double fadingFactor) implements Serializable {
        /** A window of about a hundred sequences (its state, 32 bytes a batch, is kept per key with per-key models). */
        public static final Settings DEFAULT = new Settings(100, 0.999);

        public Settings {
            if (window < 1) {
                throw new IllegalArgumentException("the prequential window must hold at least 1 sequence");
            }
            if (!(fadingFactor > 0 && fadingFactor <= 1)) {
                throw new IllegalArgumentException("the fading factor must be in (0, 1]");
            }
        }
    }

    /**
     * The figures after one batch.
     *
     * @param batchLoss       mean loss per sequence of the batch
     * @param batchAccuracy   right binary target values over binary ones in the batch (NaN: none)
     * @param windowLoss      mean loss per sequence over the window
     * @param windowAccuracy  accuracy over the window
     * @param windowSequences sequences in the window
     * @param fadingLoss      the faded mean loss per sequence
     * @param fadingAccuracy  the faded accuracy
     */
    public record Figures(double batchLoss, double batchAccuracy, double windowLoss, double windowAccuracy,
                          long windowSequences, double fadingLoss, double fadingAccuracy) {
        /** None yet: every figure NaN. */
        public static final Figures NONE = new Figures(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN,
                Double.NaN);
    }

    /** The faded loss, sequences, right and binary values; then the window's batches, oldest first. */
    private static final int FADED = 4;
    /** A batch in the window: its sequences, loss sum, binary target values, right ones. */
    private static final int BATCH = 4;

    private final Settings settings;
    /** the state itself, {@link #state()}'s layout: a flat array, so a per-key update allocates little */
    private double[] s;

    public Prequential(Settings settings) {
        this(settings, new double[FADED]);
    }

    private Prequential(Settings settings, double[] state) {
        this.settings = settings;
        this.s = state;
    }

    /** Goes on from {@link #state()} of an earlier one with these settings (null: fresh). */
    public static Prequential resume(Settings settings, double[] state) {
        return new Prequential(settings, state == null ? new double[FADED] : state.clone());
    }

    /** A copy of the state for a checkpoint: the faded sums, then the window's batches, oldest first (4 numbers each). */
    public double[] state() {
        return s.clone();
    }

    /** Takes in the batch sum of a batch that trained (its count above 0) and returns the figures after it. */
    public Figures add(Gradients batch) {
        if (batch.count <= 0) {
            throw new IllegalArgumentException("a batch of no sequences has no prequential figures");
        }
        int held = (s.length - FADED) / BATCH;
        long count = batch.count;
        for (int b = 0; b < held; b++) {
            count += (long) s[FADED + b * BATCH];
        }
        // the oldest batches leave while the rest still hold the window's length
        int drop = 0;
        while (drop < held && count - (long) s[FADED + drop * BATCH] >= settings.window()) {
            count -= (long) s[FADED + drop * BATCH];
            drop++;
        }
        int kept = held - drop;
        double[] next = drop == 1 ? s : new double[FADED + (kept + 1) * BATCH];
        System.arraycopy(s, 0, next, 0, FADED);
        System.arraycopy(s, FADED + drop * BATCH, next, FADED, kept * BATCH);
        int at = FADED + kept * BATCH;
        next[at] = batch.count;
        next[at + 1] = batch.loss;
        next[at + 2] = batch.binaryTargets;
        next[at + 3] = batch.binaryRight;
        s = next;

        double decay = Math.pow(settings.fadingFactor(), batch.count);
        s[0] = decay * s[0] + batch.loss;
        s[1] = decay * s[1] + batch.count;
        s[2] = decay * s[2] + batch.binaryRight;
        s[3] = decay * s[3] + batch.binaryTargets;

        Figures now = current();
        return new Figures(batch.loss / batch.count, ratio(batch.binaryRight, batch.binaryTargets), now.windowLoss(),
                now.windowAccuracy(), now.windowSequences(), now.fadingLoss(), now.fadingAccuracy());
    }

    /** The window's and the faded figures so far, with no batch's own (NaN: after a batch that trained nothing, or none yet). */
    public Figures current() {
        // summed afresh, oldest first, rather than kept as a running sum: no drift, the same in every copy
        long count = 0;
        double loss = 0.0;
        long binary = 0;
        long right = 0;
        for (int at = FADED; at < s.length; at += BATCH) {
            count += (long) s[at];
            loss += s[at + 1];
            binary += (long) s[at + 2];
            right += (long) s[at + 3];
        }
        return new Figures(Double.NaN, Double.NaN, loss / count, ratio(right, binary), count, s[0] / s[1],
                ratio(s[2], s[3]));
    }

    private static double ratio(double right, double binary) {
        return binary > 0 ? right / binary : Double.NaN;
    }
}
