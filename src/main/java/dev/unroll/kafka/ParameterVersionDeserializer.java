package dev.unroll.kafka;

import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the parameters topic back into the job. A record that is not a version of this job's network is skipped, never thrown. */
public class ParameterVersionDeserializer implements KafkaRecordDeserializationSchema<ParameterVersion> {
    private static final Logger LOG = LoggerFactory.getLogger(ParameterVersionDeserializer.class);
    private final TrainingSpec spec;
    private transient ParameterRecords records;

    public ParameterVersionDeserializer(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        records = new ParameterRecords(spec.network(), spec.limits());
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ParameterVersion> out) {
        try {
            out.collect(ParameterRecords.withHeaders(records.decode(record.value()), record));
        } catch (RuntimeException e) {
            LOG.warn("skipping {}/{}@{} on the parameters topic: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        }
    }

    @Override
    public TypeInformation<ParameterVersion> getProducedType() {
        return TypeInformation.of(ParameterVersion.class);
    }
}
