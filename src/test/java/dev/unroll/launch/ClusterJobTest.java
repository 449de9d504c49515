package dev.unroll.launch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.Network;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar's entry point on a MiniCluster, as a cluster runs it: a {@code --mode train} job
 * publishes versions, then a {@code --mode serve} job answers with the newest one (per key: each
 * key's own, read from the compacted topic's start), for both model modes.
 */
class ClusterJobTest {
    private static final String[] KEYS = {"pump-a", "pump-b", "pump-c"};

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static EmbeddedKafka broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @ParameterizedTest(name = "{0} models")
    @ValueSource(strings = {"one", "per-key"})
    @Timeout(180)
    void aServingJobAnswersWithTheNewestVersionATrainingJobPublished(String models,
                                                                    @InjectClusterClient ClusterClient<?> flink)
            throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j3-tied-b16/network.json"), dir.resolve("network.json"));
        Path job = Files.writeString(dir.resolve(models + ".yaml"), "name: cluster-" + models
                + "\nnetwork: network.json\ntraining:\n  batchSize: 4\n  learningRate: 0.5\n  models: " + models
                + "\nstream:\n  checkpointIntervalMs: 0\n");
        JobConfig config = JobConfig.read(job);
        Network net = config.loadNetwork();
        List<String> lines = dev.unroll.stream.RandomSequences.jsonLines(net, 7, 24);
        String[] common = {"--job", job.toString(), "--bootstrap-servers", broker.bootstrapServers(), "--parallelism", "2"};

        CompletableFuture<Void> training = submit(common, "--mode", "train");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            awaitRunning(flink, 1);
            for (int k = 0; k < lines.size(); k++) {
                String key = KEYS[k % KEYS.length];
                producer.send(new ProducerRecord<>(config.inputTopic(), utf8(key), utf8(keyed(lines.get(k), key)))).get();
            }
        }
        // one model: 24 sequences, 6 versions; per key: 8 a key, 2 versions each
        long expected = models.equals("one") ? 6 : 2;
        Map<String, Long> newest = awaitVersions(config, net, expected);
        cancelAll(flink);
        assertTrue(training.handle((ok, e) -> true).get(60, TimeUnit.SECONDS));

        CompletableFuture<Void> serving = submit(common, "--mode", "serve");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            awaitRunning(flink, 1);
            String request = keyed(lines.get(0).replaceFirst(",\"targets\":\\[.*]}$", "}"), KEYS[0]);
            long answeredWith = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int sent = 0;
            // a serving job reads versions as it starts: ask until the newest has reached it, or the deadline
            while (answeredWith < expected && System.nanoTime() < deadline) {
                producer.send(new ProducerRecord<>(config.get(JobConfig.REQUESTS_TOPIC), utf8(KEYS[0]), utf8(request))).get();
                sent++;
                List<ConsumerRecord<byte[], byte[]>> answers = KafkaClients.readAtLeast(props(),
                        config.get(JobConfig.PREDICTIONS_TOPIC), sent, Duration.ofSeconds(20));
                JsonNode last = TestSupport.json(new String(answers.get(answers.size() - 1).value(), StandardCharsets.UTF_8));
                answeredWith = last.get("version").asLong();
                Thread.sleep(300);
            }
            assertEquals(newest.get(models.equals("one") ? null : KEYS[0]), answeredWith,
                    "the serving job answers with the newest version the training job published");
        } finally {
            cancelAll(flink);
            serving.handle((ok, e) -> true).get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void optionsAreParsedAsTheCommandsParseThem() {
        CommandLine.ParameterException missing = assertThrows(CommandLine.ParameterException.class,
                () -> ClusterJob.main(new String[] {"--job", "j.yaml"}));
        assertTrue(missing.getMessage().contains("--bootstrap-servers"), missing.getMessage());
        CommandLine.ParameterException mode = assertThrows(CommandLine.ParameterException.class,
                () -> ClusterJob.main(new String[] {"--job", "j.yaml", "--bootstrap-servers", "h:1", "--mode", "both"}));
        assertTrue(mode.getMessage().contains("--mode") && mode.getMessage().contains("all, train, serve"), mode.getMessage());
    }

    private static CompletableFuture<Void> submit(String[] common, String... more) {
        String[] args = new String[common.length + more.length];
        System.arraycopy(common, 0, args, 0, common.length);
        System.arraycopy(more, 0, args, common.length, more.length);
        return CompletableFuture.runAsync(() -> {
            try {
                ClusterJob.main(args);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The newest version of each key (the one model under null) once every one reaches {@code version}. */
    private Map<String, Long> awaitVersions(JobConfig config, Network net, long version) throws Exception {
        ParameterRecords records = new ParameterRecords(net, config.limits());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Map<String, Long> newest = new HashMap<>();
        while (System.nanoTime() < deadline) {
            newest.clear();
            for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(props(), config.get(JobConfig.PARAMETERS_TOPIC),
                    Duration.ofSeconds(5), false)) {
                ParameterVersion v = records.read(r);
                newest.merge(v.key, v.version, Math::max);
            }
            int models = config.perKey() ? KEYS.length : 1;
            if (newest.size() == models && newest.values().stream().allMatch(v -> v >= version)) {
                return newest;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("versions " + newest + ", waited for " + version);
    }

    private static void awaitRunning(ClusterClient<?> flink, int jobs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (running(flink) < jobs) {
            assertTrue(System.nanoTime() < deadline, "the submitted job runs");
            Thread.sleep(100);
        }
    }

    private static long running(ClusterClient<?> flink) throws Exception {
        return flink.listJobs().get().stream().filter(j -> j.getJobState() == JobStatus.RUNNING).count();
    }

    private static void cancelAll(ClusterClient<?> flink) throws Exception {
        for (JobStatusMessage j : flink.listJobs().get()) {
            if (!j.getJobState().isGloballyTerminalState()) {
                flink.cancel(j.getJobId()).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static String keyed(String json, String key) {
        return json.replaceFirst("^\\{", "{\"key\":\"" + key + "\",");
    }

    private static Properties props() {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        return p;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
