package dev.unroll.record;

import java.util.Arrays;

/**
 * Which version answers one model's requests (the job's one model, or one key's), fed every
 * version in the order published. Open (factor 0), the newest version answers. Gated, a version
 * answers only once a batch has measured it (its prequential loss: the mean loss of the batch
 * whose gradient was taken at it, which arrives with a later version, see
 * {@link ParameterVersion#measuredVersion}) and that loss is at most {@code factor} times the best
 * loss of a version that answered so far; a version that fails is held back and the last one that
 * passed goes on answering. The version answering before any arrives is the starting one; its
 * own first measurement sets the first bar.
 *
 * <p>A Flink POJO: the prediction operators keep it as state (broadcast for one model, keyed per key).
 */
public class ServingGate {
    /** the version answering; null while the starting network answers */
    public ParameterVersion serving;
    /** its number ({@code initialVersion} for the starting network) */
    public long servingVersion;
    /** versions newer than the one answering whose measurement has not arrived, oldest first */
    public ParameterVersion[] pending = new ParameterVersion[0];
    /** the lowest measured loss of a version that answered; NaN before any was measured */
    public double best = Double.NaN;
    /** the newest version that failed the gate, while it is newer than the one answering; -1 for none */
    public long heldBack = -1;
    /** the newest version offered: the topic is at-least-once, so versions may come again */
    public long newestSeen;

    public ServingGate() {
    }

    /** Before any version: the starting network answers as version {@code initialVersion}. */
    public static ServingGate startingAt(long initialVersion) {
        ServingGate g = new ServingGate();
        g.servingVersion = initialVersion;
        g.newestSeen = initialVersion;
        return g;
    }

    /** Takes in the next version of this model. */
    public void offer(ParameterVersion v, double factor) {
        if (v.version <= newestSeen) {
            return;
        }
        newestSeen = v.version;
        if (factor <= 0) {
            serving = v;
            servingVersion = v.version;
            return;
        }
        pending = Arrays.copyOf(pending, pending.length + 1);
        pending[pending.length - 1] = v;
        long m = v.measuredVersion;
        double loss = v.batchLoss;
        if (m < 0 || Double.isNaN(loss)) {
            return;
        }
        if (m == servingVersion && Double.isNaN(best)) {
            best = loss;
        } else if (m > servingVersion) {
            ParameterVersion measured = pendingVersion(m);
            if (measured != null && (Double.isNaN(best) || loss <= factor * best)) {
                serving = measured;
                servingVersion = m;
                best = Double.isNaN(best) ? loss : Math.min(best, loss);
            } else if (measured != null) {
                heldBack = Math.max(heldBack, m);
            }
        }
        if (heldBack <= servingVersion) {
            heldBack = -1;
        }
        long decided = Math.max(m, servingVersion);
        pending = Arrays.stream(pending).filter(p -> p.version > decided).toArray(ParameterVersion[]::new);
    }

    private ParameterVersion pendingVersion(long version) {
        for (ParameterVersion p : pending) {
            if (p.version == version) {
                return p;
            }
        }
        return null;
    }
}
