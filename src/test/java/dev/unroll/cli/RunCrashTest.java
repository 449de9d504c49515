package dev.unroll.cli;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterFollower;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.stream.RandomSequences;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run --state-dir} killed with SIGKILL in the middle of training and started again on the
 * same directory: it resumes from its newest checkpoint (broker data and Flink state both in the
 * directory) and ends with the parameters of {@code train}, every sequence trained once, and
 * version 1 published once.
 */
class RunCrashTest {
    private static final int FIRST = 700;
    private static final int SECOND = 5600;

    @TempDir
    Path dir;

    @Test
    void aKilledRunResumesFromItsStateDirectory() throws Exception {
        Path example = TestSupport.examples().resolve("training").resolve("j2-tanh-b7");
        Files.copy(example.resolve("network.json"), dir.resolve("network.json"));
        Path job = dir.resolve("crash.yaml");
        Files.writeString(job, "name: crash\nnetwork: network.json\ntraining:\n  batchSize: 7\n  learningRate: 0.05\n"
                + "  momentum: 0.5\n  staleness: 1\nstream:\n  checkpointIntervalMs: 200\n  parallelism: 2\n"
                + "topics:\n  partitions: 1\n");
        Network net = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
        List<String> lines = RandomSequences.jsonLines(net, 7, FIRST + SECOND);
        Files.write(dir.resolve("all.jsonl"), lines);
        Files.write(dir.resolve("first.jsonl"), lines.subList(0, FIRST));
        Files.write(dir.resolve("second.jsonl"), lines.subList(FIRST, lines.size()));
        assertEquals(0, Main.run("train", "--job", job.toString(), "--data", dir.resolve("all.jsonl").toString(),
                "--out", dir.resolve("train.json").toString(), "--quiet"));

        Path state = dir.resolve("state");
        int port = LoopbackPorts.free();
        String servers = "127.0.0.1:" + port;
        String sequences = "unroll.crash.sequences";
        Path log = dir.resolve("run.log");
        String[] run = {"run", "--job", job.toString(), "--state-dir", state.toString(), "--port", Integer.toString(port),
                "--max-sequences", Integer.toString(FIRST + SECOND), "--out", dir.resolve("out.json").toString()};

        Process first = UnrollProcess.start(log, run);
        try {
            awaitTopic(servers, sequences, first, log);
            FilePublisher.publishLines(KafkaClients.producerProps(servers), sequences, dir.resolve("first.jsonl"));
            try (ParameterFollower follower = follower(servers, net)) {
                // the first part trained and a checkpoint taken after it...
                awaitTrained(follower, FIRST, first, log);
                Path checkpointAfterFirst = awaitNewCheckpoint(state, newestCheckpoint(state), first, log);
                assertTrue(Files.exists(checkpointAfterFirst));
                // ...then killed while the second part is being trained
                FilePublisher.publishLines(KafkaClients.producerProps(servers), sequences, dir.resolve("second.jsonl"));
                long trained = awaitTrained(follower, FIRST + 1, first, log);
                first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                assertTrue(trained < FIRST + SECOND, "killed before the end: " + trained + " trained\n" + Files.readString(log));
            }
        } finally {
            first.destroyForcibly();
        }

        Process second = UnrollProcess.start(log, run);
        try {
            assertTrue(second.waitFor(240, TimeUnit.SECONDS), "the resumed run ends\n" + Files.readString(log));
            assertEquals(0, second.exitValue(), Files.readString(log));
        } finally {
            second.destroyForcibly();
        }
        assertTrue(Files.readString(log).contains("resuming from"), Files.readString(log));

        JsonNode expected = new ObjectMapper().readTree(dir.resolve("train.json").toFile());
        JsonNode resumed = new ObjectMapper().readTree(dir.resolve("out.json").toFile());
        TestSupport.assertSameParameters(expected, resumed);
        assertEquals(FIRST + SECOND, resumed.at("/provenance/sequencesTrained").asLong(), "each sequence once");

        // the broker's data stayed in the state directory: every version the two processes published is there
        try (EmbeddedKafka broker = EmbeddedKafka.start(state.resolve("kafka"), LoopbackPorts.free())) {
            List<ConsumerRecord<byte[], byte[]>> published = KafkaClients.readAll(broker.bootstrapServers(),
                    "unroll.crash.parameters", Duration.ofSeconds(20));
            long ones = published.stream().filter(r -> "1".equals(header(r, "unroll.version"))).count();
            assertEquals(1, ones, "version 1 is published once: the resumed run did not start over");
        }
    }

    private static ParameterFollower follower(String servers, Network net) {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        return new ParameterFollower(p, "unroll.crash.parameters", "crash", net, Limits.DEFAULT, 0, null);
    }

    private static long awaitTrained(ParameterFollower follower, long atLeast, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && process.isAlive()) {
            for (ParameterVersion v : follower.poll(Duration.ofMillis(50))) {
                if (v.sequencesTrained >= atLeast) {
                    return v.sequencesTrained;
                }
            }
        }
        throw new AssertionError("never trained " + atLeast + " sequences\n" + Files.readString(log));
    }

    private static Path awaitNewCheckpoint(Path state, Path before, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Path now = newestCheckpoint(state);
            if (now != null && !now.equals(before)) {
                return now;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no checkpoint completed\n" + Files.readString(log));
    }

    private static Path newestCheckpoint(Path state) throws Exception {
        while (true) {
            try (Stream<Path> files = Files.walk(state.resolve("checkpoints"))) {
                return files.filter(p -> p.getFileName().toString().equals("_metadata")).map(Path::getParent)
                        .max((a, b) -> Long.compare(number(a), number(b))).orElse(null);
            } catch (java.io.UncheckedIOException e) {
                // the running job deleted a checkpoint a newer one replaced while we walked: look again
                Thread.sleep(20);
            }
        }
    }

    private static long number(Path chk) {
        return Long.parseLong(chk.getFileName().toString().substring(4));
    }

    private static void awaitTopic(String servers, String topic, Process process, Path log) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Admin admin = Admin.create(p)) {
                if (admin.listTopics().names().get(5, TimeUnit.SECONDS).contains(topic)) {
                    return;
                }
            } catch (Exception e) {
                // the broker is not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the run never created " + topic + "\n" + Files.readString(log));
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        var h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

}
