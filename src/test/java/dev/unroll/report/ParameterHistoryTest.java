package dev.unroll.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.job.ParameterFormat;
import dev.unroll.kafka.ParametersTopic;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.task.Evaluation;
import dev.unroll.task.Tasks;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's history rebuilt from a real parameters topic on an embedded broker: the later record of
 * a duplicated version wins, other jobs' and undecodable records are passed over, and {@code plot}
 * draws it with held-out accuracy.
 */
class ParameterHistoryTest {
    private static final String TOPIC = "unroll.adder.parameters";

    @TempDir
    Path dir;

    @Test
    void rebuildsTheRunFromTheTopicAndPlotsIt() throws Exception {
        Files.copy(Path.of("jobs", "binary-addition.network.json"), dir.resolve("net.json"));
        Path job = Files.writeString(dir.resolve("adder.yaml"), """
                name: adder
                network: net.json
                training:
                  batchSize: 8
                  learningRate: 0.1
                task:
                  type: binary-addition
                  maxBits: 4
                """);
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        List<Sequence> heldOut = Tasks.sample(Tasks.fromJob(config, initial), 7, 50, null);
        Path data = Files.writeString(dir.resolve("held-out.jsonl"),
                heldOut.stream().map(SequenceJson::write).map(String::strip).collect(Collectors.joining("\n", "", "\n")));
        Parameters[] params = new Parameters[4];
        for (int v = 0; v < params.length; v++) {
            params[v] = scaled(initial.parameters(), 1 + v);
        }

        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            broker.createTopic(TOPIC, 1);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
                send(producer, record("adder", 1, params[1], 0.9, 1_000), initial);
                send(producer, record("adder", 2, params[2], 0.8, 2_000), initial);
                send(producer, record("other", 3, params[3], 0.1, 2_500), initial);
                producer.send(new ProducerRecord<>(TOPIC, "not a record".getBytes(StandardCharsets.UTF_8))).get();
                send(producer, record("adder", 3, params[3], 0.7, 3_000), initial);
                // at-least-once: version 2 again, later; it wins
                send(producer, record("adder", 2, params[2], 0.6, 3_500), initial);
            }

            Properties props = new Properties();
            props.put("bootstrap.servers", broker.bootstrapServers());
            ParameterHistory.Result read = ParameterHistory.read(new ParametersTopic(props, TOPIC, "adder", initial, config.limits(), null), null,
                    initial, heldOut, 2,
                    Duration.ofSeconds(60));
            assertEquals(6, read.records());
            assertEquals(2, read.skipped(), "the other job's record and the one that is not a record");
            List<History.Point> points = read.history().points();
            assertEquals(List.of(0L, 1L, 2L, 3L), points.stream().map(History.Point::version).toList());
            assertEquals(List.of(0L, 8L, 16L, 24L), points.stream().map(History.Point::sequencesTrained).toList());
            assertTrue(Double.isNaN(points.get(0).batchLoss()));
            assertEquals(0.9, points.get(1).batchLoss());
            assertEquals(0.6, points.get(2).batchLoss(), "the later record of version 2");
            assertEquals(0.7, points.get(3).batchLoss());
            assertEquals(accuracy(initial, initial.parameters(), heldOut), points.get(0).heldOutAccuracy());
            assertFalse(points.get(1).scored(), "--every 2 scores versions 2 and the newest only");
            assertEquals(accuracy(initial, params[2], heldOut), points.get(2).heldOutAccuracy());
            assertEquals(accuracy(initial, params[3], heldOut), points.get(3).heldOutAccuracy());
            assertEquals(0.0, points.get(1).seconds());
            assertEquals(2.0, points.get(3).seconds());

            Path png = dir.resolve("topic.png");
            TestSupport.Result r = TestSupport.run("plot", "--job", job.toString(), "--bootstrap-servers",
                    broker.bootstrapServers(), "--topic", TOPIC, "--data", data.toString(), "--out", png.toString());
            assertEquals(0, r.exitCode(), r.describe());
            assertTrue(r.err().contains("4 versions, up to version 3 (24 sequences)"), r.describe());
            BufferedImage image = ImageIO.read(png.toFile());
            assertTrue(image != null && image.getWidth() > 0 && image.getHeight() > 0);

            TestSupport.Result empty = TestSupport.run("plot", "--job", job.toString(), "--bootstrap-servers",
                    broker.bootstrapServers(), "--topic", "unroll.adder.absent", "--out", dir.resolve("none.png").toString());
            assertEquals(1, empty.exitCode(), empty.describe());
            assertTrue(empty.err().contains("topic unroll.adder.absent does not exist"), empty.describe());

            perKey(broker, initial, heldOut, params);
        }
    }

    /**
     * Per-key models on the same broker: each key's versions are records keyed by the key. One key's
     * history is its own records alone; the summary takes each key's newest version.
     */
    private void perKey(EmbeddedKafka broker, Network initial, List<Sequence> heldOut, Parameters[] params) throws Exception {
        String topic = "unroll.adders.parameters";
        Path job = Files.writeString(dir.resolve("adders.yaml"), "name: adders\nnetwork: net.json\ntraining:\n  models: per-key\n");
        List<Sequence> keyed = new java.util.ArrayList<>();
        for (int k = 0; k < heldOut.size(); k++) {
            keyed.add(heldOut.get(k).withKey(k < 20 ? "dev-a" : "dev-b"));
        }
        Path data = Files.writeString(dir.resolve("keyed.jsonl"),
                keyed.stream().map(SequenceJson::write).collect(Collectors.joining("\n", "", "\n")));
        broker.createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            ParameterRecords codec = new ParameterRecords(initial, Limits.DEFAULT);
            Object[][] sent = {{"dev-a", "adders", 1, 0.9}, {"dev-b", "adders", 1, 0.5}, {"dev-a", "adders", 2, 0.8},
                    {"dev-a", "other", 9, 0.1}, {null, "adders", 4, 0.2}, {"dev-b", "adders", 2, 0.4}, {"dev-a", "adders", 3, 0.7}};
            for (Object[] s : sent) {
                int version = (Integer) s[2];
                ParameterVersion v = record((String) s[1], version, params[version % params.length], (Double) s[3], 1_000L * version);
                byte[] key = s[0] == null ? null : ((String) s[0]).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key, codec.encode(v, ParameterFormat.BINARY))).get();
            }
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", broker.bootstrapServers());

        ParametersTopic adders = new ParametersTopic(props, topic, "adders", initial, Limits.DEFAULT, null);
        ParameterHistory.Result a = ParameterHistory.read(adders, "dev-a", initial, null, 1, Duration.ofSeconds(60));
        assertEquals(List.of(0L, 1L, 2L, 3L), a.history().points().stream().map(History.Point::version).toList());
        assertEquals(0.7, a.history().last().batchLoss());
        assertEquals(4, a.skipped(), "dev-b's two, the other job's and the one without a key");

        ParameterHistory.Keyed newest = ParameterHistory.newestPerKey(adders, initial, Duration.ofSeconds(60));
        assertEquals(2, newest.skipped(), "the other job's and the one without a key");
        assertEquals(List.of("dev-a", "dev-b"), newest.models().stream().map(e -> e.key()).toList());
        assertEquals(3, newest.models().get(0).version());
        assertEquals(java.util.Arrays.toString(params[3].weights), java.util.Arrays.toString(newest.models().get(0).network().parameters().weights));
        assertEquals(2, newest.models().get(1).version());

        TestSupport.Result one = TestSupport.run("plot", "--job", job.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                "--data", data.toString(), "--key", "dev-a", "--out", dir.resolve("dev-a.png").toString());
        assertEquals(0, one.exitCode(), one.describe());
        assertTrue(one.err().contains("4 versions, up to version 3 (24 sequences)"), one.describe());
        TestSupport.Result all = TestSupport.run("plot", "--job", job.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                "--data", data.toString(), "--out", dir.resolve("keys.png").toString());
        assertEquals(0, all.exitCode(), all.describe());
        assertTrue(all.err().contains("plot: 2 keys (2 models)"), all.describe());
        assertTrue(ImageIO.read(dir.resolve("keys.png").toFile()).getWidth() > 0);
        TestSupport.Result absent = TestSupport.run("plot", "--job", job.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                "--key", "dev-c", "--out", dir.resolve("dev-c.png").toString());
        assertEquals(1, absent.exitCode(), absent.describe());
        assertTrue(absent.err().contains("holds no parameter version of job adders, key dev-c"), absent.describe());
    }

    private static double accuracy(Network initial, Parameters p, List<Sequence> heldOut) {
        return Evaluation.of(initial.withParameters(p), heldOut, 0).fractionSequencesAllRight();
    }

    private static Parameters scaled(Parameters p, double by) {
        double[] w = p.weights.clone();
        for (int k = 0; k < w.length; k++) {
            w[k] *= by;
        }
        return new Parameters(p.units, w, p.biases.clone(), p.initialState.clone());
    }

    private static ParameterVersion record(String job, long version, Parameters p, double loss, long publishedAt) {
        ParameterVersion v = new ParameterVersion(job, version, p);
        v.sequencesTrained = 8 * version;
        v.batchSize = 8;
        v.batchLoss = loss;
        v.publishedAt = publishedAt;
        return v;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, ParameterVersion v, Network structure) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, v.job.getBytes(StandardCharsets.UTF_8),
                new ParameterRecords(structure, Limits.DEFAULT).encode(v, ParameterFormat.BINARY))).get();
    }
}
