package dev.unroll.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress report on stderr, rewritten at most a few times a second. */
final class Progress {
    private static final long INTERVAL_NANOS = 500_000_000L;
    private final String label;
    private final boolean quiet;
    private final PrintStream err = System.err;
    private final long started = System.nanoTime();
    private long lastPrinted;

    Progress(String label, boolean quiet) {
        this.label = label;
        this.quiet = quiet;
    }

    void update(long version, long sequences, double loss) {
        long now = System.nanoTime();
        if (quiet || now - lastPrinted < INTERVAL_NANOS) {
            return;
        }
        lastPrinted = now;
        err.print("\r" + line(version, sequences, loss, now));
        err.flush();
    }

    void done(long version, long sequences, double loss) {
        if (!quiet) {
            err.println("\r" + line(version, sequences, loss, System.nanoTime()));
        }
    }

    private String line(long version, long sequences, double loss, long now) {
        double seconds = Math.max(1e-9, (now - started) / 1e9);
        return String.format(Locale.ROOT, "%s: version %d, %d sequences, batch loss %.6g, %.0f sequences/s, %.1f s",
                label, version, sequences, loss, sequences / seconds, seconds);
    }
}
