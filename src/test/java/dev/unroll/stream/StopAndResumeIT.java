package dev.unroll.stream;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StopAndResumeTest} on random seeds for a while: each run has 1 to 5 stops, each seed is
 * printed with where its stops landed, and the first run that differs from the trainer fails the
 * test naming its seed (which StopAndResume.Plan turns back into the same plan). Outside the
 * default suite:
 * <pre>
 *   mvn -B test -Dtest=StopAndResumeIT [-Dunroll.resume.minutes=5] [-Dunroll.resume.seed=S]
 * </pre>
 */
class StopAndResumeIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.HOURS) // unroll.resume.minutes up to 100, and the last run
    void randomStopsAndResumesGiveTheTrainersVersions() throws Exception {
        double minutes = Double.parseDouble(System.getProperty("unroll.resume.minutes", "5"));
        assertTrue(minutes <= 100, "unroll.resume.minutes: at most 100 (the test's timeout is 2 hours)");
        Duration budget = Duration.ofSeconds((long) (60 * minutes));
        SplittableRandom seeds = new SplittableRandom(Long.getLong("unroll.resume.seed", System.nanoTime()));
        long end = System.nanoTime() + budget.toNanos();
        int runs = 0;
        int stops = 0;
        do {
            StopAndResume.Plan plan = StopAndResume.Plan.of(seeds.nextLong(), 1 + seeds.nextInt(5));
            Path run = Files.createDirectory(dir.resolve("run-" + runs));
            System.out.println("StopAndResumeIT: " + plan);
            List<Long> landed = StopAndResume.check(plan, run);
            System.out.println("StopAndResumeIT: landed at " + landed);
            runs++;
            stops += landed.size();
        } while (System.nanoTime() < end);
        System.out.println("StopAndResumeIT: " + runs + " runs, " + stops + " stops and resumes, all equal to the trainer");
    }
}
