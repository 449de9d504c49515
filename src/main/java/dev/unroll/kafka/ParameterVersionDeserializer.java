package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the parameters topic back into the job (serving). A record that is not a version of this
 * job's network is skipped, never thrown; with a signing key, one whose signature fails is handed
 * on as a {@link ParameterVersion#refusal} (stage {@code predict}) for the next operator to dead-letter.
 */
public class ParameterVersionDeserializer implements KafkaRecordDeserializationSchema<ParameterVersion> {
    private static final Logger LOG = LoggerFactory.getLogger(ParameterVersionDeserializer.class);
    private final TrainingSpec spec;
    private final SigningKey signingKey;
    private transient ParameterRecords records;
    private transient RefusedVersions refused;

    /** @param signingKey null when records are not signed */
    public ParameterVersionDeserializer(TrainingSpec spec, SigningKey signingKey) {
        this.spec = spec;
        this.signingKey = signingKey;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        records = new ParameterRecords(spec.network(), spec.limits(), signingKey);
        refused = new RefusedVersions("predict");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ParameterVersion> out) {
        try {
            out.collect(records.read(record));
        } catch (RefusedRecordException e) {
            out.collect(refused.refuse(record, e));
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
