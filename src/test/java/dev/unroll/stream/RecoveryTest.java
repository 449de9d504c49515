package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Trainer;
import dev.unroll.record.InjectedFault;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task failing once in the middle of training, on a MiniCluster with checkpoints and a restart
 * strategy, ends with the parameters of a run without failure, and every sequence counted once.
 */
class RecoveryTest extends BrokerTestBase {
    private static final int SEQUENCES = 150;

    // in-process false: the instances read every version back from the parameters topic
    @ParameterizedTest(name = "{0} fails at batch {1}, checkpoints every {2} ms, staleness {3}, {4} state, in-process {5}")
    @CsvSource({
            "bptt, 3, 0, 0, hashmap, true",          // no checkpoint: the whole job starts again from version 0
            "aggregate, 17, 50, 0, hashmap, true",
            "bptt, 12, 50, 3, hashmap, true",        // the restored aggregator publishes its last S + 1 versions again
            "bptt, 12, 50, 3, hashmap, false",
            "aggregate, 15, 50, 1, hashmap, false",
            "aggregate, 13, 50, 2, rocksdb, true",   // state in RocksDB, incremental file checkpoints
    })
    void aFailureMidTrainingChangesNothing(String operator, long batch, long checkpointMs, int staleness, String backend,
                                           boolean inProcess) throws Exception {
        String name = "recover-" + operator + "-" + batch + "-" + checkpointMs + "-" + staleness + "-" + backend
                + (inProcess ? "" : "-topic");
        JobConfig config = job(name, "j2-tanh-b7", "training:\n  batchSize: 7\n  learningRate: 0.05\n  momentum: 0.5\n"
                + "  clipNorm: 0.5\n  staleness: " + staleness + "\nstream:\n  stateBackend: " + backend
                + "\n  inProcessVersions: " + inProcess
                + "\n  checkpointDir: " + dir.resolve("checkpoints").toUri() + "\n");
        Network net = config.loadNetwork();
        List<String> lines = RandomSequences.jsonLines(net, 99, SEQUENCES);
        Path data = dir.resolve("data.jsonl");
        Files.write(data, lines);

        Trainer reference = config.trainer(net);
        for (String line : lines) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
        }
        Parameters expected = reference.finish().parameters();

        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        broker.createTopic(topics.sequences(), 1);
        FilePublisher.publishLines(kafka.producerProperties(), topics.sequences(), data);

        Path marker = dir.resolve("failed-once");
        TrainingSpec spec = TrainingSpec.of(config, net, 2)
                .withFault(new InjectedFault(operator, batch, marker.toString()));
        StreamExecutionEnvironment env = LocalFlink.create(2);
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        env.configure(restart);

        ParameterVersion last;
        try (Pipeline pipeline = Pipeline.start(env, spec, kafka, topics, 1,
                Pipeline.Options.replay(OffsetsInitializer.earliest(), config).checkpointingEvery(checkpointMs))) {
            last = pipeline.awaitLast(v -> { }, Duration.ofSeconds(120));
        }
        assertTrue(Files.exists(marker), "the injected failure happened");
        assertEquals(SEQUENCES, last.sequencesTrained, "every sequence counted once");
        assertEquals(reference.version(), last.version, "versions");
        assertClose(expected.weights, last.weights, "weights");
        assertClose(expected.biases, last.biases, "biases");
        assertClose(expected.initialState, last.initialState, "initialState");
    }

    static void assertClose(double[] expected, double[] got, String field) {
        assertEquals(expected.length, got.length, field + " length");
        for (int k = 0; k < expected.length; k++) {
            assertTrue(Math.abs(got[k] - expected[k]) <= 1e-9 * Math.max(1, Math.abs(expected[k])),
                    field + "[" + k + "]: " + got[k] + " but " + expected[k] + " without failure");
        }
    }
}
