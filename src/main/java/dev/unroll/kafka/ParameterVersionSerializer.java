package dev.unroll.kafka;

import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/** Writes parameter versions to the parameters topic (one partition, so versions stay in order), keyed by job. */
public class ParameterVersionSerializer implements KafkaRecordSerializationSchema<ParameterVersion> {
    private final TrainingSpec spec;
    private final String topic;
    private transient ParameterRecords records;
    /** the provenance header's value, the same on every record (with per-key models, thousands a second) */
    private transient byte[] provenance;

    public ParameterVersionSerializer(TrainingSpec spec, String topic) {
        this.spec = spec;
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        records = new ParameterRecords(spec.network(), spec.limits());
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
        String key = v.key != null ? v.key : spec.job();
        return new ProducerRecord<>(topic, 0, null, key.getBytes(StandardCharsets.UTF_8),
                records.encode(v, spec.parameterFormat()), headers);
    }
}
