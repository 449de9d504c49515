package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Prequential;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;
import dev.unroll.model.Trainer;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job graph of {@link TrainingJob#build} on a MiniCluster with sources and sinks in memory (no
 * broker): for every staleness S in 0..8 and parallelism P in 1..3 it ends with the offline
 * trainer's parameters to 1e-9, a short last batch and bad records included, and every version
 * carries the offline trainer's prequential figures of that version. One P of every S trains
 * with Adam (clipped), one of S = 0, 4 and 8 with AdaGrad, the others with momentum. Half of the
 * cases hand versions to the BPTT instances in memory (the default); the other half read every
 * version back from the feed, as instances in another JVM do. The broker tests check the same
 * through Kafka for a selection of these.
 */
class TrainingJobTest {
    private static final int SEQUENCES = 40;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    Path dir;

    private static final String MOMENTUM = "  learningRate: 0.05\n  momentum: 0.5\n";
    private static final String ADAM = "  optimizer: adam\n  learningRate: 0.01\n  clipNorm: 0.5\n";
    private static final String ADAGRAD = "  optimizer: adagrad\n  learningRate: 0.05\n";

    static Stream<Arguments> stalenessAndParallelism() {
        return IntStream.rangeClosed(0, 8).boxed()
                .flatMap(s -> IntStream.rangeClosed(1, 3).mapToObj(p -> Arguments.of(s, p, (s + p) % 2 == 0,
                        (s + 2 * p) % 3 == 0 ? "adam" : (s + 2 * p) % 3 == 1 && s % 4 == 0 ? "adagrad" : "momentum")));
    }

    @ParameterizedTest(name = "S={0}, P={1}, in-process versions {2}, {3}")
    @MethodSource("stalenessAndParallelism")
    void theStreamingJobFollowsTheOfflineRule(int staleness, int parallelism, boolean inProcess, String rule)
            throws Exception {
        Run run = run(7, staleness, parallelism, inProcess, SEQUENCES, 31L * staleness + parallelism,
                rule.equals("adam") ? ADAM : rule.equals("adagrad") ? ADAGRAD : MOMENTUM);
        if (!inProcess) {
            assertEquals(0, run.inMemory, "no version in memory when turned off");
        }
    }

    @Test
    void instancesBesideTheAggregatorTakeItsVersionsInMemory() throws Exception {
        Run run = run(2, 0, 2, true, 120, 5, MOMENTUM);
        // an instance reads the feed only until the aggregator beside it has opened
        assertTrue(run.inMemory >= 0.9 * (run.inMemory + run.fromTopic),
                run.inMemory + " versions in memory, " + run.fromTopic + " from the feed");
    }

    private record Run(long inMemory, long fromTopic) {
    }

    /** Runs the job on {@code count} sequences and two bad records, and checks it against the offline trainer. */
    private Run run(int batchSize, int staleness, int parallelism, boolean inProcess, int count, long seed,
                    String rule) throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j2-tanh-b7/network.json"), dir.resolve("network.json"));
        Files.writeString(dir.resolve("job.yaml"), "name: graph\nnetwork: network.json\ntraining:\n  batchSize: "
                + batchSize + "\n" + rule + "  staleness: " + staleness + "\n");
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        Network net = config.loadNetwork();
        List<String> good = RandomSequences.jsonLines(net, seed, count);
        ArrayList<String> records = new ArrayList<>(good);
        records.add(3, "not json");
        records.add(17, "{\"steps\": 0, \"targets\": []}");

        Trainer reference = config.trainer(net);
        Map<Long, Prequential.Figures> figures = new HashMap<>();
        for (String line : good) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
            figures.put(reference.version(), reference.figures());
        }
        reference.finish();
        figures.put(reference.version(), reference.figures());

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setBufferTimeout(0);
        GeneratorFunction<Long, RawRecord> record = k -> new RawRecord("in-memory", 0, k, null,
                records.get(k.intValue()).getBytes(StandardCharsets.UTF_8));
        TrainingJob.build(env, TrainingSpec.of(config, net, parallelism).withInProcessVersions(inProcess),
                new DataGeneratorSource<>(record, records.size(), TypeInformation.of(RawRecord.class)),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        JobExecutionResult result = env.execute("graph S=" + staleness + " P=" + parallelism);

        List<ParameterVersion> versions = parameters.records();
        ParameterVersion last = versions.get(versions.size() - 1);
        assertTrue(last.last, "the bounded input's last version is marked last");
        assertEquals(reference.version(), last.version, "versions");
        assertEquals(count, last.sequencesTrained, "each valid sequence once");
        assertEquals(2, deadLetters.records().size(), "the two bad records are dead-lettered");
        // provenance: every record read is named, the bad ones at offsets 3 and 17 among them
        assertEquals("in-memory 0:0-" + (records.size() - 1), last.source.toString(), "the records trained into it");
        RecoveryTest.assertClose(reference.network().parameters().weights, last.weights, "weights");
        RecoveryTest.assertClose(reference.network().parameters().biases, last.biases, "biases");
        RecoveryTest.assertClose(reference.network().parameters().initialState, last.initialState, "initialState");
        for (ParameterVersion v : versions) {
            assertTrue(v.version > 0, "the aggregator publishes the versions it makes");
            assertEquals(Math.max(0, v.version - 1 - staleness), v.measuredVersion, "version " + v.version + " measured at");
            Prequential.Figures f = figures.get(v.version);
            double[] got = {v.batchLoss, v.batchAccuracy, v.windowLoss, v.windowAccuracy, v.fadingLoss, v.fadingAccuracy};
            double[] expected = {f.batchLoss(), f.batchAccuracy(), f.windowLoss(), f.windowAccuracy(), f.fadingLoss(),
                    f.fadingAccuracy()};
            for (int k = 0; k < got.length; k++) {
                assertTrue(Double.isNaN(expected[k]) ? Double.isNaN(got[k])
                                : Math.abs(got[k] - expected[k]) <= 1e-9 * Math.max(1, Math.abs(expected[k])),
                        "prequential figure " + k + " of version " + v.version + ": " + got[k] + ", offline " + expected[k]);
            }
            assertEquals(f.windowSequences(), v.windowSequences, "window of version " + v.version);
        }
        return new Run(result.<Long>getAccumulatorResult(LoopTrace.IN_PROCESS),
                result.<Long>getAccumulatorResult(LoopTrace.FROM_TOPIC));
    }
}
