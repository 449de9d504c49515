package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.job.JobConfig;
import dev.unroll.job.ParameterFormat;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Parameters;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code serve} on a real embedded broker with nothing training: it answers with the newest
 * version on the parameters topic, takes a newer one without a restart, or serves a fixed file.
 * Every answer is checked against {@code predict} with the same parameters.
 */
class ServeCommandTest {
    private static EmbeddedKafka broker;

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

    /** Three requests with ids, the middle one without targets. */
    private static final List<String> REQUESTS = List.of(
            "{\"id\": \"r0\", \"steps\": 3, \"inputs\": [[1, 0], [0, 1], [1, 1]], \"targets\": [{\"t\": 3, \"units\": [2], \"values\": [1]}]}",
            "{\"id\": \"r1\", \"steps\": 2, \"inputs\": [[0, 0], [1, 0]]}",
            "{\"id\": \"r2\", \"steps\": 4, \"targets\": [{\"t\": 4, \"units\": [2], \"values\": [0]}]}");

    private Path job(String name) throws Exception {
        Files.writeString(dir.resolve("net.json"), """
                {"units": 3, "inputUnits": [0, 1], "outputUnits": [2],
                 "weights": [[0.1, 0.2, 0.3], [0.4, -0.5, 0.6], [0.7, 0.8, -0.9]],
                 "biases": [0.1, -0.1, 0.2], "initialState": [0.5, 0.5, 0.5]}
                """);
        return Files.writeString(dir.resolve(name + ".yaml"), "name: " + name + "\nnetwork: net.json\nstream:\n  parallelism: 2\n"
                + "task:\n  type: binary-addition\n  maxBits: 3\n");
    }

    private static Parameters shifted(Network net, double by) {
        Parameters p = net.parameters().copy();
        for (int k = 0; k < p.weights.length; k++) {
            p.weights[k] += by * Math.sin(k + 1);
        }
        return p;
    }

    @Test
    void followsTheParametersTopicAndTakesANewerVersionWithoutARestart() throws Exception {
        Path job = job("follow");
        JobConfig config = JobConfig.read(job);
        Network net = config.loadNetwork();
        ParameterRecords records = new ParameterRecords(net, config.limits());
        Parameters v7 = shifted(net, 0.3);
        Parameters v8 = shifted(net, -0.2);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            publish(producer, config, records, 6, shifted(net, 0.9));
            publish(producer, config, records, 7, v7);
            Thread serve = serveInBackground(job, "--bootstrap-servers", broker.bootstrapServers());
            awaitTopics(config);
            try {
                List<JsonNode> first = ask(producer, config);
                assertAnswers(config, net.withParameters(v7), 7, first);
                publish(producer, config, records, 8, v8);
                // the new version reaches the operator soon, not at once: ask until it answers
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<JsonNode> later;
                do {
                    later = ask(producer, config);
                } while (later.get(0).get("version").asLong() != 8 && System.nanoTime() < deadline);
                assertAnswers(config, net.withParameters(v8), 8, later);
            } finally {
                serve.interrupt();
                serve.join(60_000);
            }
        }
    }

    @Test
    void servesAFixedFileAsTheVersionItSaysItIs() throws Exception {
        Path job = job("fixed");
        JobConfig config = JobConfig.read(job);
        Network fixed = config.loadNetwork().withParameters(shifted(config.loadNetwork(), 0.5));
        Path params = Files.writeString(dir.resolve("fixed.json"), NetworkJson.write(fixed, Map.of("version", 42)));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            Thread serve = serveInBackground(job, "--bootstrap-servers", broker.bootstrapServers(), "--params", params.toString());
            awaitTopics(config);
            try {
                assertAnswers(config, fixed, 42, ask(producer, config));

                // predict-bench times requests against this serve, then reads the rate of what it answered
                TestSupport.Result bench = TestSupport.run("predict-bench", "--job", job.toString(),
                        "--bootstrap-servers", broker.bootstrapServers(), "--rate", "50", "--seconds", "3", "--warmup", "1");
                assertEquals(0, bench.exitCode(), bench.describe());
                JsonNode latency = TestSupport.json(bench.out());
                assertEquals(150, latency.get("sent").asLong(), bench.out());
                assertEquals(150, latency.get("answered").asLong(), "every request answered: " + bench.out());
                assertEquals(100, latency.get("measured").asLong(), "the first second left out: " + bench.out());
                assertTrue(latency.get("p50Ms").asDouble() > 0 && latency.get("p50Ms").asDouble() <= latency.get("p99Ms").asDouble(),
                        bench.out());
                // the way in, to the broker's acknowledgement of the request, is a part of the whole
                assertTrue(latency.get("toAckP50Ms").asDouble() > 0 && latency.get("toAckP50Ms").asDouble() <= latency.get("p99Ms").asDouble(),
                        bench.out());
                bench = TestSupport.run("predict-bench", "--job", job.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                        "--count", "153");
                assertEquals(0, bench.exitCode(), bench.describe());
                assertEquals(153, TestSupport.json(bench.out()).get("predictions").asLong(), bench.out());
                assertTrue(TestSupport.json(bench.out()).get("predictionsPerSecond").asDouble() > 0, bench.out());
            } finally {
                serve.interrupt();
                serve.join(60_000);
            }
        }
    }

    private static void publish(KafkaProducer<byte[], byte[]> producer, JobConfig config, ParameterRecords records,
                                long version, Parameters p) throws Exception {
        ParameterVersion v = new ParameterVersion(config.name(), version, p);
        producer.send(new ProducerRecord<>(config.get(JobConfig.PARAMETERS_TOPIC), 0, null, null,
                records.encode(v, ParameterFormat.BINARY), ParameterRecords.headers(v, ParameterFormat.BINARY))).get();
    }

    private static Thread serveInBackground(Path job, String... more) {
        List<String> args = new ArrayList<>(List.of("serve", "--job", job.toString(), "--quiet"));
        args.addAll(List.of(more));
        Thread t = new Thread(() -> Main.run(args.toArray(new String[0])), "serve-under-test");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** serve creates the job's topics once it will read every request produced from then on. */
    private static void awaitTopics(JobConfig config) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = Admin.create(p)) {
            while (!admin.listTopics().names().get().contains(config.get(JobConfig.DEAD_LETTER_TOPIC))) {
                assertTrue(System.nanoTime() < deadline, "serve created its topics");
                Thread.sleep(100);
            }
        }
    }

    private static final AtomicInteger KEYS = new AtomicInteger();

    /** Sends the requests (keyed) and returns their predictions in request order. */
    private static List<JsonNode> ask(KafkaProducer<byte[], byte[]> producer, JobConfig config) throws Exception {
        List<Long> offsets = new ArrayList<>();
        for (String r : REQUESTS) {
            offsets.add(producer.send(new ProducerRecord<>(config.get(JobConfig.REQUESTS_TOPIC), 0,
                    ("k" + KEYS.incrementAndGet()).getBytes(StandardCharsets.UTF_8), r.getBytes(StandardCharsets.UTF_8)))
                    .get().offset());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Map<Long, JsonNode> byOffset = new HashMap<>();
        while (!byOffset.keySet().containsAll(offsets) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            for (ConsumerRecord<byte[], byte[]> a : KafkaClients.readAll(broker.bootstrapServers(),
                    config.get(JobConfig.PREDICTIONS_TOPIC), Duration.ofSeconds(10))) {
                JsonNode p = TestSupport.json(new String(a.value(), StandardCharsets.UTF_8));
                byOffset.put(p.get("request").get("offset").asLong(), p);
            }
        }
        assertTrue(byOffset.keySet().containsAll(offsets), "a prediction for each request at " + offsets);
        return offsets.stream().map(byOffset::get).toList();
    }

    private void assertAnswers(JobConfig config, Network at, long version, List<JsonNode> answers) throws Exception {
        Path params = Files.writeString(dir.resolve("v" + version + ".json"), NetworkJson.write(at, null));
        Path data = Files.write(dir.resolve("requests.jsonl"), REQUESTS);
        Path out = dir.resolve("v" + version + ".pred.jsonl");
        TestSupport.Result r = TestSupport.run("predict", "--job", config.file().toString(), "--params", params.toString(),
                "--data", data.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        List<String> expected = Files.readAllLines(out);
        for (int k = 0; k < REQUESTS.size(); k++) {
            JsonNode got = answers.get(k);
            assertEquals(version, got.get("version").asLong(), "version of " + got);
            JsonNode want = TestSupport.json(expected.get(k));
            assertEquals(want.get("id"), got.get("id"));
            assertEquals(want.get("outputs"), got.get("outputs"), "outputs of " + want.get("id"));
            assertEquals(want.get("loss"), got.get("loss"), "loss of " + want.get("id"));
        }
    }
}
