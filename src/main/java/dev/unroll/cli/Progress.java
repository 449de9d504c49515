package dev.unroll.cli;

import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress report on stderr, rewritten at most a few times a second, and at the end
 * the rates that compare {@code train} with {@code replay} like for like: the warm-up to the first
 * version (JIT, and for the pipeline the broker, MiniCluster and job start), the rate after it,
 * and the steady rate over the second half of the versions, once a replay's backlog of input is
 * decoded and the code is compiled, with the median time from one version to the next there (for
 * the pipeline, one synchronous update's round trip; a median, as a stall or a burst moves it little).
 */
final class Progress {
    private static final long INTERVAL_NANOS = 500_000_000L;
    private final String label;
    private final boolean quiet;
    private final PrintStream err;
    private final LongSupplier clock;
    private final long started;
    private long lastPrinted;
    private int lastLength;
    /** when each new version was first seen (nanoTime) and the sequences trained into it, in order */
    private long[] seenAt = new long[64];
    private long[] versions = new long[64];
    private long[] sequencesAt = new long[64];
    private int seen;
    private Detail detail = last -> null;

    /** More for the line, after the loss: dead letters, held-out accuracy; {@code last} for the final line. */
    interface Detail {
        String text(boolean last);
    }

    Progress(String label, boolean quiet) {
        this(label, quiet, System.err, System::nanoTime);
    }

    /** With the stream to report on and a clock in nanoseconds, for tests. */
    Progress(String label, boolean quiet, PrintStream err, LongSupplier clock) {
        this.label = label;
        this.quiet = quiet;
        this.err = err;
        this.clock = clock;
        this.started = clock.getAsLong();
    }

    Progress withDetail(Detail detail) {
        this.detail = detail;
        return this;
    }

    /** For a count known in advance (sequences produced): done of total, the rate and the time. */
    void count(long done, long total) {
        long now = clock.getAsLong();
        if (quiet || now - lastPrinted < INTERVAL_NANOS) {
            return;
        }
        lastPrinted = now;
        rewrite(countLine(done, total, now));
    }

    void counted(long done, long total, String where) {
        if (!quiet) {
            err.println("\r" + countLine(done, total, clock.getAsLong()) + " " + where);
        }
    }

    /** Rewrites the line in place, blanking what a longer earlier line left. */
    private void rewrite(String line) {
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }

    private String countLine(long done, long total, long now) {
        double seconds = Math.max(1e-9, (now - started) / 1e9);
        return String.format(Locale.ROOT, "%s: %d/%d sequences, %.0f sequences/s, %.1f s", label, done, total,
                done / seconds, seconds);
    }

    void update(long version, long sequences, double loss) {
        long now = clock.getAsLong();
        if (version >= 1 && (seen == 0 || version > versions[seen - 1])) {
            record(now, version, sequences);
        }
        if (quiet || now - lastPrinted < INTERVAL_NANOS) {
            return;
        }
        lastPrinted = now;
        rewrite(line(version, sequences, loss, now, false));
    }

    private void record(long now, long version, long sequences) {
        if (seen == seenAt.length) {
            seenAt = Arrays.copyOf(seenAt, 2 * seen);
            versions = Arrays.copyOf(versions, 2 * seen);
            sequencesAt = Arrays.copyOf(sequencesAt, 2 * seen);
        }
        seenAt[seen] = now;
        versions[seen] = version;
        sequencesAt[seen] = sequences;
        seen++;
    }

    void done(long version, long sequences, double loss) {
        if (quiet) {
            return;
        }
        long now = clock.getAsLong();
        err.println("\r" + line(version, sequences, loss, now, true));
        if (seen == 0 || version <= 1) {
            return;
        }
        int half = 0;
        while (half < seen - 1 && versions[half] < version / 2) {
            half++;
        }
        DescriptiveStatistics perVersion = millisBetweenVersions(half);
        err.printf(Locale.ROOT, "%s: warm-up %.1f s to the first version, then %.0f sequences/s; %.0f sequences/s"
                        + " over the second half of the versions (%d to %d)%s%n", label, (seenAt[0] - started) / 1e9,
                rate(sequences - sequencesAt[0], now - seenAt[0]), rate(sequences - sequencesAt[half], now - seenAt[half]),
                versions[half], version, perVersion.getN() == 0 ? ""
                        : String.format(Locale.ROOT, ", median %.1f ms per version", perVersion.getPercentile(50)));
    }

    /** Milliseconds from each version seen to the next, from the {@code from}-th seen on. */
    private DescriptiveStatistics millisBetweenVersions(int from) {
        DescriptiveStatistics s = new DescriptiveStatistics();
        for (int k = from + 1; k < seen; k++) {
            s.addValue((seenAt[k] - seenAt[k - 1]) / 1e6);
        }
        return s;
    }

    private static double rate(long sequences, long nanos) {
        return sequences / Math.max(1e-9, nanos / 1e9);
    }

    private String line(long version, long sequences, double loss, long now, boolean last) {
        double seconds = Math.max(1e-9, (now - started) / 1e9);
        String more = detail.text(last);
        return String.format(Locale.ROOT, "%s: version %d, %d sequences, batch loss %.6g%s, %.0f sequences/s, %.1f s",
                label, version, sequences, loss, more == null ? "" : ", " + more, sequences / seconds, seconds);
    }
}
