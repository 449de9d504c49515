package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.unroll.job.ParameterFormat;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.KafkaTopics;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * {@code --init}: training started from a file {@code train} wrote carries on exactly where that
 * run stopped (jobs without momentum, whose velocity a parameters file does not keep), the
 * provenance says where it started, a network of another structure is a one-line error, and
 * {@code replay} and {@code run} (from a file or the newest version on a topic) start from the
 * same parameters as {@code train}.
 */
class WarmStartTest {
    private static final double TOLERANCE = 1e-9;

    @TempDir
    Path dir;

    /** A reference job (no momentum) copied here, its data cut after {@code firstLines} lines into a.jsonl and b.jsonl. */
    private Path job(String example, int firstLines) throws Exception {
        Path from = TestSupport.examples().resolve("training").resolve(example);
        Files.copy(from.resolve("network.json"), dir.resolve("network.json"));
        Path job = dir.resolve("warm.yaml");
        Files.writeString(job, "name: warm\n" + Files.readString(from.resolve("job.yaml")) + "topics:\n  partitions: 1\n");
        List<String> lines = Files.readAllLines(from.resolve("data.jsonl"));
        Files.write(dir.resolve("all.jsonl"), lines);
        Files.write(dir.resolve("a.jsonl"), lines.subList(0, firstLines));
        Files.write(dir.resolve("b.jsonl"), lines.subList(firstLines, lines.size()));
        return job;
    }

    private static TestSupport.Result ok(String... args) {
        TestSupport.Result r = TestSupport.run(args);
        assertEquals(0, r.exitCode(), r.describe());
        return r;
    }

    @ParameterizedTest(name = "{0}, first file of {1} sequences")
    @CsvSource({"j2-tanh-b7, 14", "j3-tied-b16, 16", "j1-tied-mask-b1, 11"})
    void trainFromAThenBEqualsTrainOverBoth(String example, int firstLines) throws Exception {
        Path job = job(example, firstLines);
        ok("train", "--job", job.toString(), "--data", dir.resolve("all.jsonl").toString(), "--out", dir.resolve("both.json").toString(), "--quiet");
        ok("train", "--job", job.toString(), "--data", dir.resolve("a.jsonl").toString(), "--out", dir.resolve("a.json").toString(), "--quiet");
        ok("train", "--job", job.toString(), "--data", dir.resolve("b.jsonl").toString(), "--out", dir.resolve("ab.json").toString(),
                "--init", dir.resolve("a.json").toString(), "--quiet");

        assertSameParameters(dir.resolve("both.json"), dir.resolve("ab.json"));
        // and not trivially: B alone from the job's network ends elsewhere
        ok("train", "--job", job.toString(), "--data", dir.resolve("b.jsonl").toString(), "--out", dir.resolve("b.json").toString(), "--quiet");
        assertTrue(distance(dir.resolve("both.json"), dir.resolve("b.json")) > 1e-3);

        JsonNode a = TestSupport.json(dir.resolve("a.json")).get("provenance");
        JsonNode p = TestSupport.json(dir.resolve("ab.json")).get("provenance");
        int batch = dev.unroll.job.JobConfig.read(job).get(dev.unroll.job.JobConfig.BATCH_SIZE);
        long bLines = 30 - firstLines;
        assertEquals((bLines + batch - 1) / batch, p.get("version").longValue(), "versions count from 0 again");
        assertEquals(bLines, p.get("sequencesTrained").longValue());
        JsonNode init = p.get("init");
        assertEquals(dir.resolve("a.json").toString(), init.get("file").textValue());
        assertEquals(sha256(dir.resolve("a.json")), init.get("sha256").textValue());
        assertEquals(a.get("version").longValue(), init.get("version").longValue());
        assertEquals(firstLines, init.get("sequencesTrained").longValue());
        assertEquals("warm", init.get("job").textValue());
    }

    @Test
    void aPlainNetworkFileStartsLikeTheJobsOwn() throws Exception {
        Path job = job("j2-tanh-b7", 14);
        ok("train", "--job", job.toString(), "--data", dir.resolve("all.jsonl").toString(), "--out", dir.resolve("plain.json").toString(), "--quiet");
        ok("train", "--job", job.toString(), "--data", dir.resolve("all.jsonl").toString(), "--out", dir.resolve("init.json").toString(),
                "--init", dir.resolve("network.json").toString(), "--quiet");
        assertSameParameters(dir.resolve("plain.json"), dir.resolve("init.json"));
        JsonNode init = TestSupport.json(dir.resolve("init.json")).at("/provenance/init");
        assertEquals(sha256(dir.resolve("network.json")), init.get("sha256").textValue());
        assertTrue(init.get("version") == null, "a network.json without provenance has no version: " + init);
        assertTrue(TestSupport.json(dir.resolve("plain.json")).at("/provenance/init").isMissingNode());
    }

    @Test
    void aFileAndATopicExcludeEachOther() throws Exception {
        Path job = job("j2-tanh-b7", 14);
        TestSupport.Result r = TestSupport.run("run", "--job", job.toString(), "--bootstrap-servers", "127.0.0.1:1",
                "--state-dir", dir.resolve("state").toString(), "--init", dir.resolve("network.json").toString(),
                "--init-from-topic");
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("--init and --init-from-topic exclude each other"), r.describe());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "units        | j3-tied-b16",
            "activation   | activation",
            "outputUnits  | outputUnits",
            "inputUnits   | inputUnits",
            "mask         | mask"})
    void anotherStructureIsAOneLineErrorNamingTheFile(String field, String how) throws Exception {
        Path job = job("j2-tanh-b7", 14);
        Path other = dir.resolve("other.json");
        if (how.startsWith("j")) {
            Files.copy(TestSupport.examples().resolve("training").resolve(how).resolve("network.json"), other);
        } else {
            ObjectNode net = (ObjectNode) TestSupport.json(dir.resolve("network.json"));
            int n = net.get("units").intValue();
            switch (how) {
                case "activation" -> net.put("activation", "linear");
                case "outputUnits" -> net.putArray("outputUnits").add(n - 1);
                case "inputUnits" -> net.putArray("inputUnits").add(n - 1);
                default -> {
                    var mask = net.putArray("mask");
                    for (int j = 0; j < n; j++) {
                        var row = mask.addArray();
                        for (int i = 0; i < n; i++) {
                            row.add(i == j ? 0 : 1);
                        }
                    }
                    var weights = net.withArray("weights");
                    for (int j = 0; j < n; j++) {
                        ((com.fasterxml.jackson.databind.node.ArrayNode) weights.get(j)).set(j, 0.0);
                    }
                }
            }
            Files.writeString(other, net.toString());
        }
        for (String command : List.of("train", "replay", "run")) {
            // run checks the file before it connects to any broker
            List<String> args = new java.util.ArrayList<>(List.of(command, "--job", job.toString(),
                    "--out", dir.resolve("never.json").toString(), "--init", other.toString(), "--quiet"));
            args.addAll(command.equals("run")
                    ? List.of("--bootstrap-servers", "127.0.0.1:1", "--state-dir", dir.resolve("state").toString())
                    : List.of("--data", dir.resolve("all.jsonl").toString()));
            TestSupport.Result r = TestSupport.run(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), r.describe());
            assertEquals(1, r.err().strip().lines().count(), r.describe());
            assertTrue(r.err().startsWith(other + ": " + field + ": "), r.describe());
            assertTrue(r.err().contains("--init needs the job's structure"), r.describe());
        }
        assertTrue(Files.notExists(dir.resolve("never.json")));
    }

    @Test
    void replayAndRunStartWhereTrainDoes() throws Exception {
        Path job = job("j2-tanh-b7", 14);
        ok("train", "--job", job.toString(), "--data", dir.resolve("a.jsonl").toString(), "--out", dir.resolve("a.json").toString(), "--quiet");
        ok("train", "--job", job.toString(), "--data", dir.resolve("b.jsonl").toString(), "--out", dir.resolve("train-b.json").toString(),
                "--init", dir.resolve("a.json").toString(), "--quiet");
        ok("replay", "--job", job.toString(), "--data", dir.resolve("b.jsonl").toString(), "--out", dir.resolve("replay-b.json").toString(),
                "--init", dir.resolve("a.json").toString(), "--parallelism", "2", "--quiet");
        assertSameParameters(dir.resolve("train-b.json"), dir.resolve("replay-b.json"));
        assertEquals(sha256(dir.resolve("a.json")), TestSupport.json(dir.resolve("replay-b.json")).at("/provenance/init/sha256").textValue());

        // a live run trains whole batches only: two batches of 7 of B
        Files.write(dir.resolve("b14.jsonl"), Files.readAllLines(dir.resolve("b.jsonl")).subList(0, 14));
        ok("train", "--job", job.toString(), "--data", dir.resolve("b14.jsonl").toString(), "--out", dir.resolve("train-b14.json").toString(),
                "--init", dir.resolve("a.json").toString(), "--quiet");
        Network structure = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
        Network afterA = NetworkJson.read(dir.resolve("a.json"), Limits.DEFAULT);
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            String servers = broker.bootstrapServers();
            broker.createTopic("unroll.warm.sequences", 1);
            FilePublisher.publishLines(KafkaClients.producerProps(servers), "unroll.warm.sequences", dir.resolve("b14.jsonl"));
            // a trained model on another topic: an older version, then the newest (A's parameters), then another job's
            String models = "models.warm";
            KafkaTopics.ensure(KafkaClients.producerProps(servers), models, 1);
            ParameterRecords codec = new ParameterRecords(structure, Limits.DEFAULT);
            ParameterVersion older = new ParameterVersion("warm", 1, structure.parameters());
            ParameterVersion newest = new ParameterVersion("warm", 2, afterA.parameters());
            newest.sequencesTrained = 14;
            ParameterVersion otherJob = new ParameterVersion("other", 9, structure.parameters());
            Properties props = KafkaClients.producerProps(servers);
            props.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
            props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                for (ParameterVersion v : List.of(older, newest, otherJob)) {
                    producer.send(new ProducerRecord<>(models, v.job.getBytes(StandardCharsets.UTF_8),
                            codec.encode(v, ParameterFormat.BINARY))).get();
                }
            }
            ok("run", "--job", job.toString(), "--bootstrap-servers", servers, "--quiet", "--max-sequences", "14",
                    "--state-dir", dir.resolve("state-b").toString(),
                    "--max-seconds", "120", "--init-from-topic", models, "--out", dir.resolve("run-b.json").toString());
            assertSameParameters(dir.resolve("train-b14.json"), dir.resolve("run-b.json"));
            JsonNode init = TestSupport.json(dir.resolve("run-b.json")).at("/provenance/init");
            assertEquals(models, init.get("topic").textValue());
            assertEquals(2, init.get("version").longValue());
            assertEquals(14, init.get("sequencesTrained").longValue());

            // a model of another structure on the topic
            Network wrong = NetworkJson.read(TestSupport.examples().resolve("training/j3-tied-b16/network.json"), Limits.DEFAULT);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                producer.send(new ProducerRecord<>(models, "warm".getBytes(StandardCharsets.UTF_8),
                        new ParameterRecords(wrong, Limits.DEFAULT).encode(new ParameterVersion("warm", 3, wrong.parameters()),
                                ParameterFormat.BINARY))).get();
            }
            TestSupport.Result r = TestSupport.run("run", "--job", job.toString(), "--bootstrap-servers", servers, "--quiet",
                    "--state-dir", dir.resolve("state-wrong").toString(), "--max-seconds", "5", "--init-from-topic", models);
            assertEquals(2, r.exitCode(), r.describe());
            assertEquals(1, r.err().strip().lines().count(), r.describe());
            assertTrue(r.err().startsWith("topic " + models + ": ") && r.err().contains("structure"), r.describe());
        }
    }

    private static void assertSameParameters(Path expectedFile, Path gotFile) {
        Network e = NetworkJson.read(expectedFile, Limits.DEFAULT);
        Network g = NetworkJson.read(gotFile, Limits.DEFAULT);
        assertTrue(e.sameStructure(g));
        double[][] ev = {e.parameters().weights, e.parameters().biases, e.parameters().initialState};
        double[][] gv = {g.parameters().weights, g.parameters().biases, g.parameters().initialState};
        for (int a = 0; a < ev.length; a++) {
            for (int k = 0; k < ev[a].length; k++) {
                assertTrue(Math.abs(gv[a][k] - ev[a][k]) <= TOLERANCE * Math.max(1, Math.abs(ev[a][k])),
                        gotFile.getFileName() + " array " + a + "[" + k + "]: " + gv[a][k] + ", expected " + ev[a][k]);
            }
        }
    }

    private static double distance(Path x, Path y) {
        double[] a = NetworkJson.read(x, Limits.DEFAULT).parameters().weights;
        double[] b = NetworkJson.read(y, Limits.DEFAULT).parameters().weights;
        double max = 0;
        for (int k = 0; k < a.length; k++) {
            max = Math.max(max, Math.abs(a[k] - b[k]));
        }
        return max;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
