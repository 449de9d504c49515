package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * Writes parameter versions to the parameters topic (one partition, so versions stay in order),
 * keyed by job; with a signing key each record is signed ({@link VersionSignatures}) here, in the
 * sink chained to the aggregator (or, with per-key models, to the keyed trainer) that made it.
 */
public class ParameterVersionSerializer implements KafkaRecordSerializationSchema<ParameterVersion> {
    private final TrainingSpec spec;
    private final String topic;
    private final SigningKey signingKey;
    private transient ParameterRecords records;
    private transient VersionSignatures signatures;
    /** the provenance header's value, the same on every record (with per-key models, thousands a second) */
    private transient byte[] provenance;

    /** @param signingKey null when records are not signed */
    public ParameterVersionSerializer(TrainingSpec spec, String topic, SigningKey signingKey) {
        this.spec = spec;
        this.topic = topic;
        this.signingKey = signingKey;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        records = new ParameterRecords(spec.network(), spec.limits());
        signatures = signingKey == null ? null : new VersionSignatures(signingKey);
        provenance = spec.provenance() == null ? null : spec.provenance().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ParameterVersion v, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = ParameterRecords.headers(v, spec.parameterFormat());
        if (provenance != null) {
            // shared: the producer copies header values into its batch and changes none
            headers.add(ParameterRecords.PROVENANCE_HEADER, provenance);
        }
        // per-key versions are keyed by their key, so a compacted topic keeps every key's newest
        byte[] key = (v.key != null ? v.key : spec.job()).getBytes(StandardCharsets.UTF_8);
        byte[] value = records.encode(v, spec.parameterFormat());
        if (signatures != null) {
            signatures.sign(key, headers, value);
        }
        return new ProducerRecord<>(topic, 0, null, key, value, headers);
    }
}
