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

    public ParameterVersionSerializer(TrainingSpec spec, String topic) {
        this.spec = spec;
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        records = new ParameterRecords(spec.network(), spec.limits());
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ParameterVersion v, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = ParameterRecords.headers(v, spec.parameterFormat());
        if (spec.provenance() != null) {
            headers.add(ParameterRecords.PROVENANCE_HEADER, spec.provenance().getBytes(StandardCharsets.UTF_8));
        }
        // per-key versions are keyed by their key, so a compacted topic keeps every key's newest
        String key = v.key != null ? v.key : spec.job();
        return new ProducerRecord<>(topic, 0, null, key.getBytes(StandardCharsets.UTF_8),
                records.encode(v, spec.parameterFormat()), headers);
    }
}
