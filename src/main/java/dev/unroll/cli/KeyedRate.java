package dev.unroll.cli;

import java.util.Arrays;

/**
 * The rate of a per-key run from its versions as they arrive: over all of them (first version to
 * last) and over the second half of them, when the code is compiled: in a run of seconds the JIT
 * takes as much CPU as the training does (measured in docs/performance.md, Per-key models). A version
 * counts the sequences of its batch.
 */
final class KeyedRate {
    /** when each version was seen (nanoTime), and the sequences of all versions seen before it */
    private long[] seenAt = new long[1024];
    private long[] sequencesBefore = new long[1024];
    private int seen;
    private long sequences;

    void add(long nanos, long batchSize) {
        if (seen == seenAt.length) {
            seenAt = Arrays.copyOf(seenAt, 2 * seen);
            sequencesBefore = Arrays.copyOf(sequencesBefore, 2 * seen);
        }
        seenAt[seen] = nanos;
        sequencesBefore[seen] = sequences;
        sequences += batchSize;
        seen++;
    }

    /** Seconds from the first version to the last (0 with fewer than two). */
    double seconds() {
        return seen < 2 ? 0 : (seenAt[seen - 1] - seenAt[0]) / 1e9;
    }

    /** When the last version was seen (nanoTime). */
    long lastSeen() {
        return seen == 0 ? 0 : seenAt[seen - 1];
    }

    /** Sequences per second over the second half of the versions: those after the middle one, to the last (0 with fewer than three). */
    double secondHalf() {
        if (seen < 3) {
            return 0;
        }
        int half = seen / 2;
        long nanos = seenAt[seen - 1] - seenAt[half];
        return nanos <= 0 ? 0 : (sequences - sequencesBefore[half + 1]) / (nanos / 1e9);
    }
}
