package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.job.JobConfig;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class ParameterVersionSerializerTest {
    @Test
    void everyPerKeyVersionIsKeyedByItsKeyAndCarriesTheJobsProvenance() {
        JobConfig config = JobConfig.read(TestSupport.examples().resolve("per-key/pk1-three-keys/job.yaml"));
        TrainingSpec spec = TrainingSpec.of(config, config.loadNetwork(), 2);
        ParameterVersionSerializer serializer = new ParameterVersionSerializer(spec, "params", null);
        serializer.open(null, null);
        for (String key : new String[] {"pump-1", "valve/ü"}) {
            ParameterVersion v = new ParameterVersion(spec.job(), 3, spec.network().parameters());
            v.key = key;
            ProducerRecord<byte[], byte[]> r = serializer.serialize(v, null, null);
            assertArrayEquals(key.getBytes(StandardCharsets.UTF_8), r.key());
            assertEquals(key, new String(r.headers().lastHeader(ParameterRecords.KEY_HEADER).value(), StandardCharsets.UTF_8));
            assertEquals(spec.provenance(), new String(r.headers().lastHeader(ParameterRecords.PROVENANCE_HEADER).value(),
                    StandardCharsets.UTF_8));
            assertEquals(3, new ParameterRecords(spec.network(), spec.limits()).decode(r.value()).version);
        }
    }
}
