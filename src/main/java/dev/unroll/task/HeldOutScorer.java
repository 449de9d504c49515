package dev.unroll.task;

import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Sequence;

import java.util.List;

/**
 * Scores parameter versions on a held-out set: every version while that stays cheap, else a few a
 * second, so scoring takes at most a share of the wall time of a live run.
 */
public final class HeldOutScorer {
    /** Scoring may take this share of the wall time; beyond it, versions are scored a few times a second. */
    private static final double SHARE = 0.25;
    private static final long MIN_GAP_NANOS = 250_000_000L;

    private final Network initial;
    private final List<Sequence> heldOut;
    private long spentNanos;
    private long lastAt = Long.MIN_VALUE;

    public HeldOutScorer(Network initial, List<Sequence> heldOut) {
        this.initial = initial;
        this.heldOut = heldOut;
    }

    /** The score of {@code p}, or null when scoring now would take more than its share of {@code elapsedNanos}. */
    public Evaluation.Summary maybeScore(Parameters p, long elapsedNanos) {
        if (spentNanos > SHARE * elapsedNanos && System.nanoTime() - lastAt < MIN_GAP_NANOS) {
            return null;
        }
        return score(p);
    }

    public Evaluation.Summary score(Parameters p) {
        long start = System.nanoTime();
        Evaluation.Summary s = Evaluation.of(p == null ? initial : initial.withParameters(p), heldOut, 0);
        lastAt = System.nanoTime();
        spentNanos += lastAt - start;
        return s;
    }

    public static boolean allRight(Evaluation.Summary s) {
        return s.sequencesAllRight() == s.sequences();
    }
}
