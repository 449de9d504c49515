package dev.unroll.stream;

import dev.unroll.record.ParameterVersion;

import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the aggregator hands its versions to the BPTT instances that run in its own JVM (all of
 * them on the embedded default's MiniCluster, those in its TaskManager on a cluster), so that they
 * need not wait for each version's trip through the parameters topic and decode it again. The
 * topic still gets every version, right after; instances elsewhere read it there, and the result
 * is the same either way: the same numbers, in a version object nobody changes once published.
 *
 * <p>One board per aggregator, found by its epoch (one attempt of one submission), so that an
 * instance never takes a version of another job or of a failed attempt; a newer aggregator of the
 * same epoch (after a JobManager took over) replaces the older one's board. It holds the newest {@code S + 2} versions: an instance
 * computing batch j needs version j - S, and the aggregator cannot get past version j before every
 * instance has sent its share of batch j - 1, so no instance needs a version older than the newest
 * minus S.
 */
final class VersionBoard {
    private static final ConcurrentHashMap<String, VersionBoard> BOARDS = new ConcurrentHashMap<>();

    private final int keep;
    private final TreeMap<Long, ParameterVersion> versions = new TreeMap<>();

    private VersionBoard(int keep) {
        this.keep = keep;
    }

    /**
     * A new board for the aggregator of {@code epoch}, in place of any other of that epoch: a
     * JobManager that took over counts attempts from 0 again, and its aggregator's board must not
     * be one that a lingering aggregator of the attempt before still fills with its own versions.
     */
    static VersionBoard open(String epoch, int staleness) {
        VersionBoard board = new VersionBoard(staleness + 2);
        BOARDS.put(epoch, board);
        return board;
    }

    /** The board of {@code epoch} if its aggregator runs in this JVM, else null. */
    static VersionBoard find(String epoch) {
        return BOARDS.get(epoch);
    }

    /** Takes {@code board} off, unless another aggregator's board has taken its place. */
    static void close(String epoch, VersionBoard board) {
        BOARDS.remove(epoch, board);
    }

    synchronized void post(ParameterVersion v) {
        versions.put(v.version, v);
        while (versions.size() > keep) {
            versions.pollFirstEntry();
        }
        notifyAll();
    }

    /** Version {@code number}, waiting at most {@code timeoutMillis} for it to be posted; null if it was not. */
    synchronized ParameterVersion await(long number, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        ParameterVersion v;
        while ((v = versions.get(number)) == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return v;
    }
}
