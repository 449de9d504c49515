package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.model.TestSupport;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Versions go at once exactly when a BPTT instance may be waiting for them on the topic. */
class VersionPublishingTest {
    private static TrainingSpec spec(String job) {
        JobConfig config = JobConfig.read(TestSupport.examples().resolve(job));
        return TrainingSpec.of(config, config.loadNetwork(), 2);
    }

    @Test
    void theOneModelsVersionsAreBatchedOnlyWhenEveryInstanceTakesThemInMemory() {
        TrainingSpec one = spec("training/j1-tied-mask-b1/job.yaml").withInProcessVersions(true);
        StreamExecutionEnvironment local = LocalFlink.create(2);
        StreamExecutionEnvironment cluster = StreamExecutionEnvironment.createRemoteEnvironment("jobmanager.invalid", 8081);
        assertFalse(JobRunner.versionsWaitedFor(local, one), "embedded: every instance is beside the aggregator");
        assertTrue(JobRunner.versionsWaitedFor(local, one.withInProcessVersions(false)), "hand-off off: all read the topic");
        assertTrue(JobRunner.versionsWaitedFor(cluster, one), "a cluster: instances on other TaskManagers read the topic");
    }

    @Test
    void perKeyVersionsAreAlwaysBatched() {
        TrainingSpec perKey = spec("per-key/pk1-three-keys/job.yaml");
        assertTrue(perKey.isPerKey());
        assertFalse(JobRunner.versionsWaitedFor(StreamExecutionEnvironment.createRemoteEnvironment("jobmanager.invalid", 8081),
                perKey), "each key's update is applied where the key lives");
    }
}
