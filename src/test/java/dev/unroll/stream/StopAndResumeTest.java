package dev.unroll.stream;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

/**
 * Stopped with a savepoint and resumed at another parallelism, three times in one run, the job
 * ends with the offline trainer's parameters, and so does every version it published on the way
 * (see {@link StopAndResume}). Three seeds here, chosen for their plans: S = 3 with versions
 * through the feed, P 1, 3, 3, 1; S = 1, P 2, 1, 2, 3 with stops 25 and 22 records apart; S = 4,
 * P 3, 1, 2, 1. Each failed before the aggregator added chunk sums in the trainer's order.
 * {@code StopAndResumeIT} tries random seeds for minutes.
 */
class StopAndResumeTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {14, 24, 27})
    void stopsAndResumesAtRandomPointsAndParallelismsGiveTheTrainersVersions(long seed) throws Exception {
        StopAndResume.check(StopAndResume.Plan.of(seed, 3), dir);
    }
}
