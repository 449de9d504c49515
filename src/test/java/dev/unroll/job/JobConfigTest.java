package dev.unroll.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.format.SequenceFormat;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Optimizer;
import dev.unroll.model.Prequential;
import dev.unroll.record.ServingPolicy;
import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reading job files: defaults that keep the plain rule, every key checked, errors naming file and key. */
class JobConfigTest {
    @TempDir
    Path dir;

    private Path write(String name, String yaml) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, yaml);
    }

    private JobException rejected(String yaml) throws IOException {
        Path file = write("job.yaml", yaml);
        JobException e = assertThrows(JobException.class, () -> JobConfig.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), "the error names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void onlyTheNetworkGivenMeansPlainAveragedDescent() throws IOException {
        Path file = write("my-job.yaml", "network: net.json\n");
        JobConfig c = JobConfig.read(file);
        assertEquals(16, c.get(JobConfig.BATCH_SIZE));
        assertEquals(0.1, c.get(JobConfig.LEARNING_RATE));
        assertEquals(Optimizer.Settings.sgd(0.1, 0.0, 0.0, true), c.optimizer(), "defaults keep the plain rule");
        assertEquals(Optimizer.Settings.plain(0.1), c.optimizer());
        assertEquals(Limits.DEFAULT, c.limits());
        assertEquals("my-job", c.name());
        assertEquals("unroll.my-job.sequences", c.get(JobConfig.SEQUENCES_TOPIC));
        assertEquals("unroll.my-job.parameters", c.get(JobConfig.PARAMETERS_TOPIC));
        assertEquals("unroll.my-job.dead-letters", c.get(JobConfig.DEAD_LETTER_TOPIC));
        assertEquals("unroll.my-job.requests", c.get(JobConfig.REQUESTS_TOPIC));
        assertEquals("unroll.my-job.predictions", c.get(JobConfig.PREDICTIONS_TOPIC));
        assertEquals(SequenceFormat.JSON, c.get(JobConfig.SEQUENCE_FORMAT), "JSON records unless the job asks for Avro");
        assertEquals(Map.of(), c.task());
        assertEquals(Map.of(), c.kafka());
        // every other key takes its declared default
        for (JobKey<?> key : JobConfig.KEYS) {
            if (key.defaultValue() != null) {
                assertEquals(key.defaultValue(), c.get(key), key.path());
            }
        }
        assertEquals(file.toAbsolutePath().normalize(), c.file());
    }

    @Test
    void theReferenceJobsReadWithTheirValues() {
        for (Path dir : TestSupport.cases("training")) {
            JobConfig c = JobConfig.read(dir.resolve("job.yaml"));
            assertEquals(dir.resolve("network.json").toAbsolutePath().normalize(), c.networkPath());
            assertEquals(0.0, c.optimizer().momentum());
            assertEquals(0.0, c.optimizer().clipNorm());
            assertTrue(c.optimizer().learnInitialState());
            assertEquals("job", c.name());
        }
        JobConfig j2 = JobConfig.read(TestSupport.examples().resolve("training/j2-tanh-b7/job.yaml"));
        assertEquals(7, j2.get(JobConfig.BATCH_SIZE));
        assertEquals(0.3, j2.get(JobConfig.LEARNING_RATE));
    }

    @Test
    void everyKeyCanBeSet() throws IOException {
        JobConfig c = JobConfig.read(write("a.yml", """
                name: adder
                network: /abs/net.json
                training:
                  batchSize: 4
                  learningRate: 2
                  momentum: 0.5
                  clipNorm: 1.5
                  learnInitialState: false
                limits:
                  maxUnits: 10
                  maxSteps: 20
                  maxRecordBytes: 4096
                stream:
                  parallelism: 3
                  checkpointIntervalMs: 0
                  bufferTimeoutMs: 7
                  parameterFormat: JSON
                  sequenceFormat: avro
                topics:
                  sequences: in.seq
                  parameters: out.params
                  deadLetters: dlq
                  partitions: 6
                task:
                  kind: adder
                  bits: [1, 2]
                kafka:
                  security.protocol: PLAINTEXT
                  linger.ms: 0
                """));
        assertEquals("adder", c.name());
        assertEquals(Path.of("/abs/net.json"), c.networkPath());
        assertEquals(Optimizer.Settings.sgd(2.0, 0.5, 1.5, false), c.optimizer());
        assertEquals(4, c.get(JobConfig.BATCH_SIZE));
        assertEquals(new Limits(10, 20), c.limits());
        assertEquals(4096, c.get(JobConfig.MAX_RECORD_BYTES));
        assertEquals(3, c.get(JobConfig.PARALLELISM));
        assertEquals(0L, c.get(JobConfig.CHECKPOINT_INTERVAL));
        assertEquals(7L, c.get(JobConfig.BUFFER_TIMEOUT));
        assertEquals(ParameterFormat.JSON, c.get(JobConfig.PARAMETER_FORMAT));
        assertEquals(SequenceFormat.AVRO, c.get(JobConfig.SEQUENCE_FORMAT));
        assertEquals("in.seq", c.get(JobConfig.SEQUENCES_TOPIC));
        assertEquals("out.params", c.get(JobConfig.PARAMETERS_TOPIC));
        assertEquals("dlq", c.get(JobConfig.DEAD_LETTER_TOPIC));
        assertEquals(6, c.get(JobConfig.PARTITIONS));
        assertEquals("adder", c.task().get("kind"));
        assertEquals(java.util.List.of(1, 2), c.task().get("bits"));
        assertEquals(Map.of("security.protocol", "PLAINTEXT", "linger.ms", "0"), c.kafka());
    }

    @Test
    void topicsDefaultFromTheGivenName() throws IOException {
        JobConfig c = JobConfig.read(write("file-name.yaml",
                "name: parity\nnetwork: n.json\ntopics:\n  parameters: custom.p\n  predictions: custom.answers\n"));
        assertEquals("parity", c.name());
        assertEquals("unroll.parity.sequences", c.get(JobConfig.SEQUENCES_TOPIC));
        assertEquals("custom.p", c.get(JobConfig.PARAMETERS_TOPIC));
        assertEquals("unroll.parity.dead-letters", c.get(JobConfig.DEAD_LETTER_TOPIC));
        assertEquals("unroll.parity.requests", c.get(JobConfig.REQUESTS_TOPIC));
        assertEquals("custom.answers", c.get(JobConfig.PREDICTIONS_TOPIC));
    }

    @Test
    void theNetworkPathIsRelativeToTheJobFileNotTheWorkingDirectory() throws IOException {
        Path netFile = write("nets/tiny.json", dev.unroll.model.TinyLinearNet.networkJson());
        Path jobFile = write("jobs/deep/tiny.yaml", "network: ../../nets/tiny.json\n");
        JobConfig c = JobConfig.read(jobFile);
        assertEquals(netFile.toAbsolutePath().normalize(), c.networkPath());
        Network net = c.loadNetwork();
        assertTrue(net.sameStructure(NetworkJson.read(netFile, Limits.DEFAULT)));
        // a job file named by a relative path resolves the same way
        Path relativeJob = Path.of("").toAbsolutePath().relativize(jobFile.toAbsolutePath());
        assertFalse(relativeJob.isAbsolute());
        assertEquals(netFile.toAbsolutePath().normalize(), JobConfig.read(relativeJob).networkPath());
    }

    @Test
    void theJobsLimitsApplyToItsNetwork() throws IOException {
        write("n.json", dev.unroll.model.TinyLinearNet.networkJson());
        JobConfig c = JobConfig.read(write("small.yaml", "network: n.json\nlimits:\n  maxUnits: 1\n"));
        dev.unroll.model.ModelException e = assertThrows(dev.unroll.model.ModelException.class, c::loadNetwork);
        assertEquals("units", e.field());
    }

    @Test
    void anUnknownKeyIsRejectedByName() throws IOException {
        assertTrue(rejected("network: n.json\ntraining:\n  batchsize: 4\n").getMessage().contains(": training.batchsize: unknown key"));
        assertTrue(rejected("netwrok: n.json\n").getMessage().contains(": netwrok: unknown key"));
        assertTrue(rejected("network: n.json\nstream:\n  parallelism: 2\n  paralellism: 3\n").getMessage()
                .contains(": stream.paralellism: unknown key"));
        assertTrue(rejected("network: n.json\ntraining: 5\n").getMessage().contains(": training: "));
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("training:\n  batchSize: \"16\"\n", "training.batchSize"),
                Arguments.of("training:\n  batchSize: 1.5\n", "training.batchSize"),
                Arguments.of("training:\n  batchSize: 0\n", "training.batchSize"),
                Arguments.of("training:\n  batchSize: -2\n", "training.batchSize"),
                Arguments.of("training:\n  batchSize: 99999999999\n", "training.batchSize"),
                Arguments.of("training:\n  learningRate: fast\n", "training.learningRate"),
                Arguments.of("training:\n  learningRate: 0\n", "training.learningRate"),
                Arguments.of("training:\n  learningRate: -0.1\n", "training.learningRate"),
                Arguments.of("training:\n  learningRate: 1e999\n", "training.learningRate"),
                Arguments.of("training:\n  clipNorm: 1e999\n", "training.clipNorm"),
                Arguments.of("training:\n  learningRate: [0.1]\n", "training.learningRate"),
                Arguments.of("training:\n  momentum: 1.0\n", "training.momentum"),
                Arguments.of("training:\n  momentum: -0.5\n", "training.momentum"),
                Arguments.of("training:\n  clipNorm: -1\n", "training.clipNorm"),
                Arguments.of("training:\n  learnInitialState: 1\n", "training.learnInitialState"),
                Arguments.of("training:\n  learnInitialState: \"false\"\n", "training.learnInitialState"),
                Arguments.of("training:\n  optimizer: rmsprop\n", "training.optimizer"),
                Arguments.of("training:\n  optimizer: 1\n", "training.optimizer"),
                Arguments.of("training:\n  beta1: 1\n", "training.beta1"),
                Arguments.of("training:\n  beta2: -0.1\n", "training.beta2"),
                Arguments.of("training:\n  epsilon: 0\n", "training.epsilon"),
                Arguments.of("training:\n  optimizer: adam\n  momentum: 0.9\n", "training.momentum"),
                Arguments.of("quality:\n  window: 0\n", "quality.window"),
                Arguments.of("quality:\n  fadingFactor: 0\n", "quality.fadingFactor"),
                Arguments.of("quality:\n  fadingFactor: 1.5\n", "quality.fadingFactor"),
                Arguments.of("serving:\n  gateFactor: 0.5\n", "serving.gateFactor"),
                Arguments.of("serving:\n  maxModelAgeMs: -1\n", "serving.maxModelAgeMs"),
                Arguments.of("serving:\n  modelAgeClock: sun\n", "serving.modelAgeClock"),
                Arguments.of("serving:\n  staleModels: drop\n", "serving.staleModels"),
                Arguments.of("limits:\n  maxUnits: 0\n", "limits.maxUnits"),
                Arguments.of("limits:\n  maxSteps: many\n", "limits.maxSteps"),
                Arguments.of("limits:\n  maxRecordBytes: 10\n", "limits.maxRecordBytes"),
                Arguments.of("stream:\n  parallelism: 0\n", "stream.parallelism"),
                Arguments.of("stream:\n  checkpointIntervalMs: -1\n", "stream.checkpointIntervalMs"),
                Arguments.of("stream:\n  parameterFormat: xml\n", "stream.parameterFormat"),
                Arguments.of("stream:\n  parameterFormat: 1\n", "stream.parameterFormat"),
                Arguments.of("stream:\n  sequenceFormat: protobuf\n", "stream.sequenceFormat"),
                Arguments.of("topics:\n  sequences: \"bad topic\"\n", "topics.sequences"),
                Arguments.of("topics:\n  deadLetters: \"\"\n", "topics.deadLetters"),
                Arguments.of("topics:\n  partitions: 0\n", "topics.partitions"),
                Arguments.of("name: [a, b]\n", "name"),
                Arguments.of("kafka:\n  nested:\n    a: 1\n", "kafka.nested"),
                Arguments.of("kafka: 3\n", "kafka"),
                Arguments.of("task: 3\n", "task"));
    }

    @ParameterizedTest(name = "{1}: {0}")
    @MethodSource("badValues")
    void aBadValueIsRejectedNamingTheKey(String yaml, String key) throws IOException {
        JobException e = rejected("network: n.json\n" + yaml);
        assertTrue(e.getMessage().contains(": " + key + ": "), "the error names " + key + ": " + e.getMessage());
    }

    @Test
    void theNetworkIsRequired() throws IOException {
        assertTrue(rejected("training:\n  batchSize: 4\n").getMessage().contains(": network: missing"));
        assertTrue(rejected("network: \"  \"\n").getMessage().contains(": network: "));
    }

    @Test
    void unreadableJobFilesAreRejected() throws IOException {
        assertTrue(rejected("").getMessage().contains("mapping"));
        assertTrue(rejected("- network: n.json\n").getMessage().contains("mapping"));
        assertTrue(rejected("network: [unclosed\n").getMessage().contains("YAML"));
        // YAML's own non-finite spellings are refused too (the YAML reader itself rejects them)
        rejected("network: n.json\ntraining:\n  learningRate: .nan\n");
        rejected("network: n.json\ntraining:\n  learningRate: .inf\n");
        Path missing = dir.resolve("missing.yaml");
        JobException e = assertThrows(JobException.class, () -> JobConfig.read(missing));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void perKeyModelsAreChosenByTrainingModelsAndRefuseStaleness() throws IOException {
        assertFalse(JobConfig.read(write("one.yaml", "network: n.json\n")).perKey(), "one model by default");
        assertTrue(JobConfig.read(write("pk.yaml", "network: n.json\ntraining:\n  models: per-key\n")).perKey());
        assertTrue(rejected("network: n.json\ntraining:\n  models: each\n").getMessage()
                .endsWith("training.models: must be one or per-key, found each"));
        assertTrue(rejected("network: n.json\ntraining:\n  models: per-key\n  staleness: 2\n").getMessage()
                .contains("training.staleness: must be 0 with training.models: per-key"));
    }

    @Test
    void theQualityAndServingKeysReachTheSpec() throws IOException {
        JobConfig c = JobConfig.read(write("q.yaml", "network: n.json\nquality:\n  window: 64\n  fadingFactor: 0.95\n"
                + "serving:\n  gateFactor: 1.5\n  maxModelAgeMs: 30000\n  modelAgeClock: event\n  staleModels: dead-letter\n"));
        assertEquals(new Prequential.Settings(64, 0.95), c.quality());
        assertEquals(new ServingPolicy(1.5, 30000, true, true), ServingPolicy.of(c));
        JobConfig plain = JobConfig.read(write("plain.yaml", "network: n.json\n"));
        assertEquals(Prequential.Settings.DEFAULT, plain.quality());
        assertEquals(new ServingPolicy(0, 0, false, false), ServingPolicy.of(plain), "by default every version serves, with no age bound");
    }

    @Test
    void adamIsChosenByTrainingOptimizerWithItsDefaults() throws IOException {
        assertEquals(Optimizer.Kind.SGD, JobConfig.read(write("sgd.yaml", "network: n.json\n")).optimizer().kind());
        JobConfig adam = JobConfig.read(write("adam.yaml", "network: n.json\ntraining:\n  optimizer: adam\n"
                + "  learningRate: 0.01\n  clipNorm: 2\n  learnInitialState: false\n"));
        assertEquals(Optimizer.Settings.adam(0.01, 0.9, 0.999, 1.0e-8, 2.0, false), adam.optimizer());
        JobConfig tuned = JobConfig.read(write("tuned.yaml", "network: n.json\ntraining:\n  optimizer: adam\n"
                + "  beta1: 0.5\n  beta2: 0.99\n  epsilon: 1.0e-6\n  momentum: 0\n"));
        assertEquals(Optimizer.Settings.adam(0.1, 0.5, 0.99, 1.0e-6, 0.0, true), tuned.optimizer());
        // the fixed keys' block as written, with sgd: Adam's keys are read and not used
        JobConfig sgd = JobConfig.read(write("block.yaml", "network: n.json\ntraining:\n  optimizer: sgd\n"
                + "  beta1: 0.9\n  beta2: 0.999\n  epsilon: 1.0e-8\n  momentum: 0.5\n"));
        assertEquals(Optimizer.Settings.sgd(0.1, 0.5, 0.0, true), sgd.optimizer());
        assertTrue(rejected("network: n.json\ntraining:\n  optimizer: adam\n  momentum: 0.9\n").getMessage()
                .contains("training.momentum: must be 0 or absent with training.optimizer: adam"));
        assertEquals(Optimizer.Settings.adagrad(0.1, 1.0e-6, 0.0, true), JobConfig.read(write("adagrad.yaml",
                "network: n.json\ntraining:\n  optimizer: adagrad\n  epsilon: 1.0e-6\n")).optimizer());
        assertTrue(rejected("network: n.json\ntraining:\n  optimizer: adagrad\n  momentum: 0.5\n").getMessage()
                .contains("training.momentum: must be 0 or absent with training.optimizer: adagrad"));
    }
}
