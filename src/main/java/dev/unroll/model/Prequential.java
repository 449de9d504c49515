package dev.unroll.model;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Deque;

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
        public static final Settings DEFAULT = new Settings(1000, 0.999);

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

    /** One batch's sums: sequences, loss, binary target values, right ones. */
    private record Batch(long count, double loss, long binary, long right) {
    }

    private final Settings settings;
    private final Deque<Batch> window = new ArrayDeque<>();
    private long windowCount;
    private double fadedLoss;
    private double fadedCount;
    private double fadedRight;
    private double fadedBinary;

    public Prequential(Settings settings) {
        this.settings = settings;
    }

    /** Goes on from {@link #state()} of an earlier one with these settings (null: fresh). */
    public static Prequential resume(Settings settings, double[] state) {
        Prequential p = new Prequential(settings);
        if (state != null) {
            p.fadedLoss = state[0];
            p.fadedCount = state[1];
            p.fadedRight = state[2];
            p.fadedBinary = state[3];
            for (int k = 4; k < state.length; k += 4) {
                p.window.addLast(new Batch((long) state[k], state[k + 1], (long) state[k + 2], (long) state[k + 3]));
                p.windowCount += (long) state[k];
            }
        }
        return p;
    }

    /** The state for a checkpoint: the faded sums, then the window's batches, oldest first. */
    public double[] state() {
        double[] s = new double[4 + 4 * window.size()];
        s[0] = fadedLoss;
        s[1] = fadedCount;
        s[2] = fadedRight;
        s[3] = fadedBinary;
        int k = 4;
        for (Batch b : window) {
            s[k++] = b.count;
            s[k++] = b.loss;
            s[k++] = b.binary;
            s[k++] = b.right;
        }
        return s;
    }

    /** Takes in the batch sum of a batch that trained (its count above 0) and returns the figures after it. */
    public Figures add(Gradients batch) {
        if (batch.count <= 0) {
            throw new IllegalArgumentException("a batch of no sequences has no prequential figures");
        }
        window.addLast(new Batch(batch.count, batch.loss, batch.binaryTargets, batch.binaryRight));
        windowCount += batch.count;
        while (windowCount - window.peekFirst().count >= settings.window()) {
            windowCount -= window.removeFirst().count;
        }
        double decay = Math.pow(settings.fadingFactor(), batch.count);
        fadedLoss = decay * fadedLoss + batch.loss;
        fadedCount = decay * fadedCount + batch.count;
        fadedRight = decay * fadedRight + batch.binaryRight;
        fadedBinary = decay * fadedBinary + batch.binaryTargets;

        Figures now = current();
        return new Figures(batch.loss / batch.count, ratio(batch.binaryRight, batch.binaryTargets), now.windowLoss(),
                now.windowAccuracy(), now.windowSequences(), now.fadingLoss(), now.fadingAccuracy());
    }

    /** The window's and the faded figures so far, with no batch's own (NaN: after a batch that trained nothing, or none yet). */
    public Figures current() {
        // summed afresh, oldest first, rather than kept as a running sum: no drift, the same in every copy
        double loss = 0.0;
        long binary = 0;
        long right = 0;
        for (Batch b : window) {
            loss += b.loss;
            binary += b.binary;
            right += b.right;
        }
        return new Figures(Double.NaN, Double.NaN, loss / windowCount, ratio(right, binary), windowCount,
                fadedLoss / fadedCount, ratio(fadedRight, fadedBinary));
    }

    private static double ratio(double right, double binary) {
        return binary > 0 ? right / binary : Double.NaN;
    }
}
