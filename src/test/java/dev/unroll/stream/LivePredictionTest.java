package dev.unroll.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.kafka.PredictionSerializer;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live job's prediction path on a real embedded broker and MiniCluster: requests answered
 * while training runs, each prediction equal to {@code predict} with the version it names, and
 * bad requests dead-lettered while the job goes on.
 */
class LivePredictionTest extends BrokerTestBase {
    private static final double EXACT = 1e-12;

    @Test
    void predictionsUnderSeveralVersionsEqualPredictWithThoseVersions() throws Exception {
        JobConfig config = job("serving", "j3-tied-b16",
                "training:\n  batchSize: 4\n  learningRate: 0.5\nstream:\n  parallelism: 2\n  checkpointIntervalMs: 0\n");
        Network net = config.loadNetwork();
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        List<String> training = RandomSequences.jsonLines(net, 3, 40);
        List<String> requests = RandomSequences.jsonLines(net, 5, 100);
        Map<String, String> requestAt = new LinkedHashMap<>();
        try (Pipeline pipeline = start(config, net);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            // ten rounds: requests, then a batch to train on, then wait for its version
            for (int round = 0; round < 10; round++) {
                for (int k = 0; k < 10; k++) {
                    String request = requests.get(round * 10 + k);
                    if (k % 3 == 0) {
                        request = request.replaceFirst(",\"targets\":\\[.*]}$", "}"); // no targets: no loss
                    }
                    RecordMetadata at = producer.send(new ProducerRecord<>(topics.serving().requests(),
                            utf8("key-" + round + "-" + k), utf8(request))).get();
                    requestAt.put(at.partition() + "@" + at.offset(), request);
                }
                for (int k = 0; k < 4; k++) {
                    producer.send(new ProducerRecord<>(topics.sequences(), 0, null, utf8(training.get(round * 4 + k)))).get();
                }
                awaitVersion(pipeline, round + 1);
                Thread.sleep(100);
            }
            List<ConsumerRecord<byte[], byte[]>> answers = awaitRecords(topics.serving().predictions(), requestAt.size());
            assertEquals(requestAt.size(), answers.size(), "one prediction per request");
            assertEquals(JobStatus.RUNNING, pipeline.client().getJobStatus().get(10, TimeUnit.SECONDS));

            // the requests each version answered, as predict's input, and what the job said
            Map<Long, List<String>> asked = new TreeMap<>();
            Map<Long, List<JsonNode>> said = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> answer : answers) {
                JsonNode p = TestSupport.json(new String(answer.value(), StandardCharsets.UTF_8));
                long version = p.get("version").asLong();
                assertEquals(Long.toString(version), header(answer, PredictionSerializer.VERSION));
                JsonNode request = p.get("request");
                assertEquals(topics.serving().requests(), request.get("topic").asText());
                String coordinates = request.get("partition").asInt() + "@" + request.get("offset").asLong();
                assertEquals(coordinates, header(answer, PredictionSerializer.REQUEST_PARTITION) + "@"
                        + header(answer, PredictionSerializer.REQUEST_OFFSET));
                String line = requestAt.get(coordinates);
                assertNotNull(line, "a prediction for a request that was sent: " + coordinates);
                assertTrue(new String(answer.key(), StandardCharsets.UTF_8).startsWith("key-"), "the request's key kept");
                asked.computeIfAbsent(version, v -> new ArrayList<>()).add(line);
                said.computeIfAbsent(version, v -> new ArrayList<>()).add(p);
            }
            assertTrue(said.size() >= 3, "predictions under at least 3 versions, got " + said.keySet());

            Map<Long, ParameterVersion> published = new TreeMap<>();
            ParameterRecords records = new ParameterRecords(net, config.limits());
            for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(broker.bootstrapServers(), topics.parameters(),
                    Duration.ofSeconds(30))) {
                ParameterVersion v = records.decode(r.value());
                published.put(v.version, v);
            }
            for (Map.Entry<Long, List<JsonNode>> e : said.entrySet()) {
                long version = e.getKey();
                Network at = version == 0 ? net : net.withParameters(published.get(version).parameters());
                List<JsonNode> expected = predict(config, at, version, asked.get(version));
                for (int k = 0; k < expected.size(); k++) {
                    assertSamePrediction(expected.get(k), e.getValue().get(k), "version " + version + " request " + k);
                }
            }
        }
    }

    /** Runs the real {@code predict} command with these parameters on these lines. */
    private List<JsonNode> predict(JobConfig config, Network at, long version, List<String> lines) throws Exception {
        Path params = Files.writeString(dir.resolve("v" + version + ".json"), NetworkJson.write(at, null));
        Path data = Files.write(dir.resolve("v" + version + ".jsonl"), lines);
        Path out = dir.resolve("v" + version + ".pred.jsonl");
        TestSupport.Result r = TestSupport.run("predict", "--job", config.file().toString(), "--params", params.toString(),
                "--data", data.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        return Files.readAllLines(out).stream().map(TestSupport::json).toList();
    }

    private static void assertSamePrediction(JsonNode expected, JsonNode got, String what) {
        assertEquals(expected.get("id"), got.get("id"), what + ": id");
        assertEquals(expected.has("loss"), got.has("loss"), what + ": loss given when the request has targets");
        if (expected.has("loss")) {
            assertTrue(TestSupport.close(got.get("loss").asDouble(), expected.get("loss").asDouble(), EXACT), what + ": loss");
        }
        JsonNode rows = expected.get("outputs");
        assertEquals(rows.size(), got.get("outputs").size(), what + ": T rows");
        for (int t = 0; t < rows.size(); t++) {
            for (int k = 0; k < rows.get(t).size(); k++) {
                double e = rows.get(t).get(k).asDouble();
                double g = got.get("outputs").get(t).get(k).asDouble();
                assertTrue(TestSupport.close(g, e, EXACT), what + ": outputs[" + t + "][" + k + "] " + g + " vs " + e);
            }
        }
    }

    @Test
    void badRequestsAreDeadLetteredAndGoodOnesAnsweredWithVersion0() throws Exception {
        JobConfig config = job("bad-requests", "j3-tied-b16",
                "limits:\n  maxSteps: 50\n  maxRecordBytes: 20000\nstream:\n  parallelism: 2\n  checkpointIntervalMs: 0\n");
        Network net = config.loadNetwork();
        // the network has 5 units, inputs [1, 0, 2, 3] and output 4
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("empty record (no value)", null);
        bad.put(": empty record", new byte[0]);
        bad.put("exceeds limits.maxRecordBytes 20000", utf8("{\"steps\": 1, \"id\": \"" + "x".repeat(20000) + "\"}"));
        bad.put("not UTF-8 text", new byte[]{'{', (byte) 0xC3, 0x28, '}'});
        bad.put("not valid JSON", utf8("not json"));
        bad.put("must be a JSON object", utf8("[1, 2]"));
        bad.put("extra", utf8("{\"steps\": 2, \"extra\": 1}"));
        bad.put("steps: missing", utf8("{\"inputs\": [[0, 0, 0, 0]]}"));
        bad.put("steps: must be at least 1", utf8("{\"steps\": 0}"));
        bad.put("exceeds the limit of 50 steps", utf8("{\"steps\": 51}"));
        bad.put("inputs", utf8("{\"steps\": 2, \"inputs\": [[0, 0, 0, 0]]}"));
        bad.put("inputs[0]: must have one value per input unit", utf8("{\"steps\": 1, \"inputs\": [[0, 0, 0]]}"));
        bad.put("inputs[0][0]", utf8("{\"steps\": 1, \"inputs\": [[NaN, 0, 0, 0]]}"));
        bad.put("targets[0].units[0]", utf8("{\"steps\": 1, \"targets\": [{\"t\": 1, \"units\": [9], \"values\": [1]}]}"));
        bad.put("targets[0].t", utf8("{\"steps\": 1, \"targets\": [{\"t\": 3, \"units\": [4], \"values\": [1]}]}"));
        bad.put("initial.units", utf8("{\"steps\": 1, \"initial\": {\"units\": [7], \"values\": [0.5]}}"));
        bad.put("Duplicate field 'steps'", utf8("{\"steps\": 1, \"steps\": 2}"));
        // unit 0 at +1e308 and unit 2 at -1e308 send +inf and -inf into the output unit: NaN
        bad.put("the outputs are not finite numbers at version 0", utf8("{\"steps\": 1, \"inputs\": [[0, 1e308, -1e308, 0]]}"));
        List<String> good = RandomSequences.jsonLines(net, 9, 6);

        Pipeline.Topics topics = Pipeline.Topics.of(config);
        try (Pipeline pipeline = start(config, net);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            Map<String, String> reasonAt = new LinkedHashMap<>();
            List<String> goodAt = new ArrayList<>();
            int k = 0;
            for (Map.Entry<String, byte[]> e : bad.entrySet()) {
                RecordMetadata at = producer.send(new ProducerRecord<>(topics.serving().requests(), k % 2,
                        utf8("bad-" + k), e.getValue())).get();
                reasonAt.put(at.partition() + "@" + at.offset(), e.getKey());
                if (k < good.size()) {
                    at = producer.send(new ProducerRecord<>(topics.serving().requests(), k % 2, utf8("good-" + k),
                            utf8(good.get(k)))).get();
                    goodAt.add(at.partition() + "@" + at.offset());
                }
                k++;
            }
            List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(topics.deadLetters(), bad.size());
            assertEquals(bad.size(), dead.size(), "one dead letter per bad request");
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                assertEquals(PredictSequences.STAGE, header(d, DeadLetterSerializer.STAGE));
                assertEquals(topics.serving().requests(), header(d, DeadLetterSerializer.SOURCE_TOPIC));
                String at = header(d, DeadLetterSerializer.SOURCE_PARTITION) + "@" + header(d, DeadLetterSerializer.SOURCE_OFFSET);
                String expected = reasonAt.remove(at);
                assertNotNull(expected, "a dead letter for a bad request: " + at);
                String reason = header(d, DeadLetterSerializer.REASON);
                assertTrue(reason.contains(expected), "reason '" + reason + "' says " + expected);
                assertTrue(reason.startsWith(topics.serving().requests() + "/" + at), "reason names the request: " + reason);
                assertArrayEquals(bad.get(expected), d.value(), "the request byte for byte");
                assertTrue(new String(d.key(), StandardCharsets.UTF_8).startsWith("bad-"), "its key kept");
            }
            assertTrue(reasonAt.isEmpty(), "not dead-lettered: " + reasonAt);

            List<ConsumerRecord<byte[], byte[]>> answers = awaitRecords(topics.serving().predictions(), good.size());
            assertEquals(good.size(), answers.size(), "only the good requests are answered");
            for (ConsumerRecord<byte[], byte[]> a : answers) {
                JsonNode p = TestSupport.json(new String(a.value(), StandardCharsets.UTF_8));
                assertEquals(0, p.get("version").asLong(), "before version 1, the job's network answers");
                assertEquals("0", header(a, PredictionSerializer.VERSION));
                assertEquals(config.name(), header(a, PredictionSerializer.JOB));
                String at = p.get("request").get("partition").asInt() + "@" + p.get("request").get("offset").asLong();
                assertTrue(goodAt.contains(at), "answers a good request: " + at);
                assertTrue(new String(a.key(), StandardCharsets.UTF_8).startsWith("good-"));
                assertTrue(p.get("outputs").size() >= 1 && p.get("outputs").get(0).size() == 1, "T rows of the one output unit");
            }
            assertEquals(JobStatus.RUNNING, pipeline.client().getJobStatus().get(10, TimeUnit.SECONDS),
                    "bad requests must not stop or restart the job");
            assertFalse(pipeline.follow(v -> { }, Duration.ofMillis(100)) != null, "no training happened");
        }
    }

    private Pipeline start(JobConfig config, Network net) throws Exception {
        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        return Pipeline.start(LocalFlink.create(2), TrainingSpec.of(config, net, 2), kafka, Pipeline.Topics.of(config),
                2, Pipeline.Options.live(config));
    }

    private static void awaitVersion(Pipeline pipeline, long version) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        ParameterVersion newest = pipeline.newest();
        while ((newest == null || newest.version < version) && System.nanoTime() < deadline) {
            newest = pipeline.follow(v -> { }, Duration.ofMillis(100));
        }
        assertTrue(newest != null && newest.version >= version, "version " + version + " arrived");
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
