package dev.unroll.kafka;

import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one reader of the parameters topic does with a record it refuses: hands on a
 * {@link ParameterVersion#refusal} for its operator to dead-letter and count, and logs the first
 * one only (a forger could otherwise fill the log; the count and the dead letters keep the rest).
 */
final class RefusedVersions {
    private static final Logger LOG = LoggerFactory.getLogger(RefusedVersions.class);

    private final String stage;
    private boolean logged;

    /** @param stage the dead letters' stage: the operator that refuses them */
    RefusedVersions(String stage) {
        this.stage = stage;
    }

    ParameterVersion refuse(ConsumerRecord<byte[], byte[]> record, RefusedRecordException why) {
        String where = record.topic() + "/" + record.partition() + "@" + record.offset();
        if (!logged) {
            logged = true;
            LOG.warn("refusing parameter record {}: {}; this reader counts further refusals without logging them", where,
                    why.getMessage());
        }
        return ParameterVersion.refusal(new DeadLetter(record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), stage, where + ": parameter record refused: " + why.getMessage()));
    }
}
