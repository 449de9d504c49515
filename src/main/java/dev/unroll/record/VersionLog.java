package dev.unroll.record;

import java.time.Duration;
import java.util.List;

/**
 * A job's parameters topic as a history: every version it holds, read by reports (plots) from
 * above the Kafka layer, which implements it (kafka.ParametersTopic). With per-key models each
 * key's versions are its own records.
 */
public interface VersionLog {
    /** The versions read, in topic order, and how many records were read and passed over. */
    record History(List<ParameterVersion> versions, long records, long skipped) {
    }

    /**
     * Reads the topic from its beginning to its end at call time, waiting at most {@code timeout}:
     * the versions of the job's one model, or with {@code key} those of that key's model; with
     * {@code keyed} true every key's, each with its key.
     */
    History history(String key, boolean keyed, Duration timeout);
}
