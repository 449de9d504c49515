package dev.unroll.launch;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateBackendOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The job keys of durability become the Flink settings a job is submitted with. */
class DurabilityTest {
    @Test
    void aCheckpointDirectoryMeansRetainedFileCheckpoints() {
        Configuration c = new Pipeline.Durability("file:///data/unroll", "rocksdb", true).flinkConfig();
        assertEquals("rocksdb", c.get(StateBackendOptions.STATE_BACKEND));
        assertEquals(true, c.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS));
        assertEquals("filesystem", c.get(CheckpointingOptions.CHECKPOINT_STORAGE));
        assertEquals("file:///data/unroll", c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
        assertEquals(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION,
                c.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
    }

    @Test
    void withoutOneTheClustersOwnStorageApplies() {
        Configuration c = new Pipeline.Durability(null, "hashmap", false).flinkConfig();
        assertEquals("hashmap", c.get(StateBackendOptions.STATE_BACKEND));
        assertFalse(c.contains(CheckpointingOptions.CHECKPOINT_STORAGE));
        assertFalse(c.contains(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
        assertEquals(false, c.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS));
    }

    @Test
    void runsWithoutCheckpointsOrWithAStateDirectoryGetItsCheckpoints() {
        Pipeline.Durability job = new Pipeline.Durability("s3://bucket/unroll", "hashmap", true);
        assertEquals("s3://bucket/unroll", new Pipeline.Options(null, null, 100, 0, null, false, job)
                .checkpointsIn("file:///state").durability().checkpointDir(), "the job file's place wins");
        assertEquals("file:///state", new Pipeline.Options(null, null, 100, 0, null, false, job.in(null))
                .checkpointsIn("file:///state").durability().checkpointDir());
    }
}
