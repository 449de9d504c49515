package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Follows a job's parameters topic from outside the job, as any consumer of the model would:
 * the commands use it for progress and for the final parameters. With a signing key it passes
 * over, and counts, a record whose signature fails (the job's own readers dead-letter it).
 */
public final class ParameterFollower implements AutoCloseable {
    /** Pass as {@code sinceMillis} to start from the topic's last record, whenever it was written. */
    public static final long LAST_RECORD = ParameterTopicReader.LAST_RECORD;

    private final ParameterTopicReader reader;
    private long newestVersion = -1;
    /** with per-key models, the newest version returned of each key */
    private final Map<String, Long> newestOfKey = new HashMap<>();
    private long refused;

    /** @param signingKey null when records are not signed */
    public ParameterFollower(Properties clientProperties, String topic, String job, Network structure, Limits limits,
                             long sinceMillis, SigningKey signingKey) {
        this.reader = new ParameterTopicReader(clientProperties, topic, job, structure, limits, sinceMillis, signingKey,
                "follow");
    }

    /** New versions of this job, in order, skipping any it has returned before (a restarted job publishes some again). */
    public List<ParameterVersion> poll(Duration timeout) {
        List<ParameterVersion> out = new ArrayList<>();
        for (ParameterVersion v : reader.poll(timeout)) {
            if (v.refused != null) {
                refused++;
            } else if (v.key != null) {
                if (v.version > newestOfKey.getOrDefault(v.key, -1L) || v.last) {
                    newestOfKey.merge(v.key, v.version, Math::max);
                    out.add(v);
                }
            } else if (v.version > newestVersion || v.last) {
                newestVersion = Math.max(newestVersion, v.version);
                out.add(v);
            }
        }
        return out;
    }

    /** How many records it has passed over because their signature fails. */
    public long refused() {
        return refused;
    }

    @Override
    public void close() {
        reader.close();
    }
}
