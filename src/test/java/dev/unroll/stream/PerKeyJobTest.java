package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Network;
import dev.unroll.model.Optimizer;
import dev.unroll.model.PerKeyTrainer;
import dev.unroll.model.Prequential;
import dev.unroll.model.Sequence;
import dev.unroll.model.Trainer;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-key models through {@link TrainingJob#build} on a MiniCluster, sources and sinks in memory:
 * the reference run pk1-three-keys at P = 1, 2, 3 with the source, decoder and keyed trainer all
 * at P, some records naming their key only by their record key, and records with no key at all
 * dead-lettered. Ends with the reference's per-key parameters to 1e-9; so does a run with a failure
 * injected in the trainer, and one stopped with a savepoint and resumed at another parallelism
 * (keyed state restored by Flink with the source's position; the source slowed so that checkpoints
 * and the savepoint fall in the middle of the input). Some of these train with Adam instead, whose
 * per-key moments then go through the same restores; its reference is the offline per-key trainer.
 */
class PerKeyJobTest {
    static final Path PK1 = TestSupport.examples().resolve("per-key/pk1-three-keys");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    Path dir;

    /** Record values and record keys (null: none), laid out for a source read by P subtasks. */
    record Records(List<String> values, List<String> keys, int padding) {
    }

    /**
     * The reference data in P equal blocks, one per split of a DataGeneratorSource at P: every key's
     * records in one block, in their order (a partitioned topic gives the same), keys interleaved as
     * in the file; every third record of a key names it only by its record key; each block padded
     * with records that have no key at all, which are dead-lettered.
     */
    static Records layout(int p) throws IOException {
        List<String> lines = Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8);
        Map<String, Integer> blockOf = new LinkedHashMap<>();
        List<List<String[]>> blocks = new ArrayList<>();
        for (int b = 0; b < p; b++) {
            blocks.add(new ArrayList<>());
        }
        int k = 0;
        for (String line : lines) {
            String key = TestSupport.json(line).get("key").textValue();
            int block = blockOf.computeIfAbsent(key, x -> blockOf.size() % p);
            boolean byRecordKey = k++ % 3 == 2;
            String value = byRecordKey ? line.replaceFirst(",\\s*\"key\":\\s*\"[^\"]*\"", "") : line;
            assertTrue(!byRecordKey || !value.contains("\"key\""), "the key field is removed");
            blocks.get(block).add(new String[] {value, byRecordKey ? key : null});
        }
        int size = blocks.stream().mapToInt(List::size).max().orElseThrow() + 1;
        List<String> values = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        int padding = 0;
        for (List<String[]> block : blocks) {
            while (block.size() < size) {
                block.add(new String[] {"{\"steps\": 1, \"targets\": []}", null});
                padding++;
            }
            for (String[] r : block) {
                values.add(r[0]);
                keys.add(r[1]);
            }
        }
        return new Records(values, keys, padding);
    }

    @ParameterizedTest(name = "P={0}")
    @ValueSource(ints = {1, 2, 3})
    void eachKeyTrainsAsTrainAloneOnItsSequences(int parallelism) throws Exception {
        JobConfig config = JobConfig.read(PK1.resolve("job.yaml"));
        Network net = config.loadNetwork();
        Records records = layout(parallelism);

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setBufferTimeout(0);
        TrainingJob.build(env, TrainingSpec.of(config, net, parallelism), source(records),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        env.execute("per-key P=" + parallelism);

        NewestPerKey newest = assertMatchesReference(config, net, parameters.records());
        for (String key : List.of("pump-1", "valve/ü")) {
            assertTrue(newest.get(key).last, key + ": 11 sequences, a short last batch applied at the end of the input");
        }
        assertEquals(2, newest.get("pump-2").version, "pump-2: 8 sequences, two full batches and nothing at the end");
        List<DeadLetter> dead = deadLetters.records();
        assertEquals(records.padding(), dead.size(), "every record with no key is dead-lettered, nothing else");
        assertTrue(dead.get(0).reason.contains("key: missing: with training.models: per-key"), dead.get(0).reason);
    }

    private static DataGeneratorSource<RawRecord> source(Records records) {
        return new DataGeneratorSource<>(generator(records), records.values().size(), TypeInformation.of(RawRecord.class));
    }

    @ParameterizedTest(name = "fails publishing a key's version {0}, checkpoints every {1} ms, {2}")
    @CsvSource({"1, 0, sgd", "2, 40, adam"})
    void aFailureInTheTrainerChangesNothing(long batch, long checkpointMs, String optimizer) throws Exception {
        JobConfig config = job(optimizer);
        Network net = config.loadNetwork();
        Records records = layout(2);
        Path marker = dir.resolve("failed-once");
        TrainingSpec spec = TrainingSpec.of(config, net, 2);

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        env.configure(restart);
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }
        // the parameters sink is chained to the trainer: failing it fails the trainer's task as it publishes
        TrainingJob.build(env, spec, slowSource(records, 40), InMemoryTopic.feed(parameters),
                FailOnce.sink(parameters.sink(), (ParameterVersion v) -> v.version == batch, marker), deadLetters.sink(),
                null);
        env.execute("per-key recovery");

        assertTrue(Files.exists(marker), "the injected failure happened");
        assertMatchesReference(config, net, parameters.records());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sgd", "adam"})
    void aSavepointResumeAtAnotherParallelismChangesNothing(String optimizer) throws Exception {
        JobConfig config = job(optimizer);
        Network net = config.loadNetwork();
        Records records = layout(2);
        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();

        StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment();
        first.enableCheckpointing(1_000_000);
        TrainingJob.build(first, TrainingSpec.of(config, net, 2), slowSource(records, 20), InMemoryTopic.feed(parameters),
                parameters.sink(), deadLetters.sink(), null);
        JobClient client = first.executeAsync("per-key before the savepoint");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (parameters.records().size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String savepoint = client.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        int before = parameters.records().size();
        assertTrue(before >= 2 && before < 6, "stopped in the middle: " + before + " of 6 versions published");

        Configuration resume = new Configuration();
        resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment second = StreamExecutionEnvironment.getExecutionEnvironment(resume);
        TrainingJob.build(second, TrainingSpec.of(config, net, 3), slowSource(records, 1000),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        second.execute("per-key after the savepoint");
        assertMatchesReference(config, net, parameters.records());
    }

    /** pk1's job (sgd), or the same with {@code training.optimizer: adam}. */
    private JobConfig job(String optimizer) throws IOException {
        if (optimizer.equals("sgd")) {
            return JobConfig.read(PK1.resolve("job.yaml"));
        }
        Files.copy(PK1.resolve("network.json"), dir.resolve("network.json"));
        return JobConfig.read(Files.writeString(dir.resolve("adam.yaml"), "network: network.json\ntraining:\n"
                + "  batchSize: 4\n  learningRate: 0.02\n  models: per-key\n  optimizer: adam\n"));
    }

    /**
     * The newest version of each key, checked against pk1's reference parameters (sgd) or, for
     * another rule, the offline per-key trainer's.
     */
    private NewestPerKey assertMatchesReference(JobConfig config, Network net, List<ParameterVersion> versions)
            throws Exception {
        NewestPerKey newest = new NewestPerKey();
        versions.forEach(newest::add);
        Path out = Files.writeString(dir.resolve("out.jsonl"), KeyedNetworks.write(newest.entries(net)));
        Path expected = PK1.resolve("expected.jsonl");
        if (config.optimizer().kind() != Optimizer.Kind.SGD) {
            PerKeyTrainer offline = new PerKeyTrainer(() -> config.trainer(net));
            for (String line : Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8)) {
                offline.add(SequenceJson.parse(line, "data", net, config.limits()));
            }
            expected = Files.writeString(dir.resolve("offline.jsonl"), KeyedNetworks.write(offline.finish()));
        }
        TestSupport.assertSameKeyedParameters(expected, out);
        // each key's newest version carries its prequential figures after its own batches alone
        Map<String, Trainer> byKey = new LinkedHashMap<>();
        for (String line : Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8)) {
            Sequence seq = SequenceJson.parse(line, "data", net, config.limits());
            byKey.computeIfAbsent(seq.key(), k -> config.trainer(net)).add(seq);
        }
        for (Map.Entry<String, Trainer> e : byKey.entrySet()) {
            e.getValue().finish();
            Prequential.Figures f = e.getValue().figures();
            ParameterVersion v = newest.get(e.getKey());
            assertEquals(v.version - 1, v.measuredVersion, e.getKey() + ": measured at the version before");
            double[] expectedFigures = {f.batchLoss(), f.windowLoss(), f.fadingLoss()};
            RecoveryTest.assertClose(expectedFigures, new double[] {v.batchLoss, v.windowLoss, v.fadingLoss},
                    e.getKey() + " prequential figures");
            assertEquals(f.windowSequences(), v.windowSequences, e.getKey() + " window");
        }
        return newest;
    }

    private static DataGeneratorSource<RawRecord> slowSource(Records records, double perSecond) {
        return new DataGeneratorSource<>(generator(records), records.values().size(),
                RateLimiterStrategy.perSecond(perSecond), TypeInformation.of(RawRecord.class));
    }

    /** Record k: value k, with key k as its Kafka record key (none where the key is null). */
    private static GeneratorFunction<Long, RawRecord> generator(Records records) {
        List<String> values = records.values();
        List<String> keys = records.keys();
        return k -> {
            String key = keys.get(k.intValue());
            return new RawRecord("in-memory", 0, k, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                    values.get(k.intValue()).getBytes(StandardCharsets.UTF_8));
        };
    }
}
