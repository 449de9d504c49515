package dev.unroll.stream;

import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Prequential;
import dev.unroll.model.TestSupport;
import dev.unroll.model.Trainer;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task failing once in the middle of training, on a MiniCluster with checkpoints and a restart
 * strategy, ends with the parameters of a run without failure, and every sequence counted once;
 * under momentum and under Adam, whose moments the aggregator restores with its parameters. The
 * failure is put around the job graph ({@link FailOnce}): the parameters sink, chained to the
 * aggregator, fails that task as it publishes a version; the source fails while the job reads.
 */
class RecoveryTest {
    private static final int SEQUENCES = 150;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    // in-process false: the instances read every version back from the feed, as instances in other JVMs do
    @ParameterizedTest(name = "fails at {0} {1}, checkpoints every {2} ms, staleness {3}, {4} state, in-process {5}, {6}")
    @CsvSource({
            "source, 20, 0, 0, hashmap, true, momentum",          // no checkpoint: the whole job starts again from version 0
            "aggregate, 17, 50, 0, hashmap, true, adam",
            "source, 90, 50, 3, hashmap, true, momentum",         // the restored aggregator publishes its last S + 1 versions again
            "source, 90, 50, 3, hashmap, false, adam",
            "aggregate, 15, 50, 1, hashmap, false, momentum",
            "aggregate, 13, 50, 2, rocksdb, true, adam",          // state in RocksDB, incremental file checkpoints
    })
    void aFailureMidTrainingChangesNothing(String where, long at, long checkpointMs, int staleness, String backend,
                                           boolean inProcess, String rule) throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j2-tanh-b7/network.json"), dir.resolve("network.json"));
        String update = rule.equals("adam") ? "  optimizer: adam\n  learningRate: 0.01\n"
                : "  learningRate: 0.05\n  momentum: 0.5\n";
        Files.writeString(dir.resolve("job.yaml"), "name: recover\nnetwork: network.json\ntraining:\n  batchSize: 7\n"
                + update + "  clipNorm: 0.5\n  staleness: " + staleness + "\n");
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        Network net = config.loadNetwork();
        List<String> lines = RandomSequences.jsonLines(net, 99, SEQUENCES);

        Trainer reference = config.trainer(net);
        for (String line : lines) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
        }
        Parameters expected = reference.finish().parameters();

        Path marker = dir.resolve("failed-once");
        GeneratorFunction<Long, RawRecord> read = k -> new RawRecord("in-memory", 0, k, null,
                lines.get(k.intValue()).getBytes(StandardCharsets.UTF_8));
        if (where.equals("source")) {
            read = FailOnce.source(read, at, marker);
        }
        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        var publish = where.equals("aggregate")
                ? FailOnce.sink(parameters.sink(), (ParameterVersion v) -> v.version == at, marker) : parameters.sink();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setBufferTimeout(0);
        Configuration settings = new Configuration();
        settings.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        settings.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        settings.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        settings.set(StateBackendOptions.STATE_BACKEND, backend);
        settings.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        settings.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        settings.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        env.configure(settings);
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }
        // a few hundred records a second, so that checkpoints complete before the failure
        TrainingJob.build(env, TrainingSpec.of(config, net, 2).withInProcessVersions(inProcess),
                new DataGeneratorSource<>(read, lines.size(), RateLimiterStrategy.perSecond(300),
                        TypeInformation.of(RawRecord.class)),
                InMemoryTopic.feed(parameters), publish, deadLetters.sink(), null);
        env.execute("recovery " + where + " " + at);

        List<ParameterVersion> versions = parameters.records();
        ParameterVersion last = versions.get(versions.size() - 1);
        assertTrue(Files.exists(marker), "the injected failure happened");
        assertTrue(last.last, "the bounded input's last version is marked last");
        assertEquals(SEQUENCES, last.sequencesTrained, "every sequence counted once");
        assertEquals(reference.version(), last.version, "versions");
        assertClose(expected.weights, last.weights, "weights");
        assertClose(expected.biases, last.biases, "biases");
        assertClose(expected.initialState, last.initialState, "initialState");
        // the prequential figures came back with the parameters: the window and the fading sums as without failure
        Prequential.Figures f = reference.figures();
        assertClose(new double[] {f.windowLoss(), f.fadingLoss()}, new double[] {last.windowLoss, last.fadingLoss},
                "prequential figures");
    }

    static void assertClose(double[] expected, double[] got, String field) {
        assertEquals(expected.length, got.length, field + " length");
        for (int k = 0; k < expected.length; k++) {
            assertTrue(Math.abs(got[k] - expected[k]) <= 1e-9 * Math.max(1, Math.abs(expected[k])),
                    field + "[" + k + "]: " + got[k] + " but " + expected[k] + " without failure");
        }
    }
}
