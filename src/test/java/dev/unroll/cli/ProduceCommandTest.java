package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.EventAvro;
import dev.unroll.format.SequenceAvro;
import dev.unroll.format.SequenceFile;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;
import dev.unroll.task.Tasks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code produce}: the same seed gives the same bytes, into a file or a topic. */
class ProduceCommandTest {

    private static TestSupport.Result produce(String job, Path out, long count, long seed) {
        return TestSupport.run("produce", "--job", "jobs/" + job + ".yaml", "--out", out.toString(),
                "--count", String.valueOf(count), "--seed", String.valueOf(seed));
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherSequences(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("sub/b.jsonl");
        Path c = dir.resolve("c.jsonl");
        assertEquals(0, produce("binary-addition", a, 300, 5).exitCode());
        assertEquals(0, produce("binary-addition", b, 300, 5).exitCode());
        TestSupport.Result r = produce("binary-addition", c, 300, 6);
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.out(), "the data goes to the file only");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        List<String> first = Files.readAllLines(a);
        List<String> other = Files.readAllLines(c);
        assertEquals(300, first.size());
        assertEquals(300, other.size());
        assertFalse(first.equals(other));
        assertTrue(first.get(0).startsWith("{\"id\":\"binary-addition-5-0\","), first.get(0));
        assertTrue(other.get(299).startsWith("{\"id\":\"binary-addition-6-299\","), other.get(299));
        assertTrue(Files.readString(a).endsWith("}\n"));
    }

    /** Each line is SequenceJson.write of the task's sequence: the file is the generator, written down. */
    @ParameterizedTest
    @ValueSource(strings = {"binary-addition", "attractor", "initial-state", "initial-state-frozen", "initial-state-per-key"})
    void linesAreTheTasksSequencesAndValidate(String job, @TempDir Path dir) throws IOException {
        Path out = dir.resolve("s.jsonl");
        TestSupport.Result r = produce(job, out, 200, 9);
        assertEquals(0, r.exitCode(), r.describe());
        JobConfig config = JobConfig.read(Path.of("jobs", job + ".yaml"));
        Network net = config.loadNetwork();
        List<Sequence> expected = Tasks.sample(Tasks.fromJob(config, net), 9, 200, job + "-9");
        List<String> lines = Files.readAllLines(out);
        assertEquals(200, lines.size());
        for (int k = 0; k < 200; k++) {
            assertEquals(SequenceJson.write(expected.get(k)), lines.get(k), "line " + k);
        }
        int read = 0;
        try (SequenceFile file = new SequenceFile(out, net, config.limits())) {
            for (Sequence seq : file) {
                assertEquals(job + "-9-" + read, seq.id());
                read++;
            }
        }
        assertEquals(200, read);
    }

    @Test
    void zeroIsAnEmptyFile(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("none.jsonl");
        assertEquals(0, produce("attractor", out, 0, 1).exitCode());
        assertEquals(0, Files.size(out));
    }

    @Test
    void usageAndJobErrors(@TempDir Path dir) throws IOException {
        String job = "jobs/attractor.yaml";
        Path out = dir.resolve("x.jsonl");
        assertEquals(2, TestSupport.run("produce", "--job", job, "--count", "3").exitCode(), "a destination is required");
        assertEquals(2, TestSupport.run("produce", "--job", job, "--count", "3", "--out", out.toString(),
                "--bootstrap-servers", "127.0.0.1:1").exitCode(), "only one destination");
        assertEquals(2, TestSupport.run("produce", "--job", job, "--out", out.toString()).exitCode(), "--count is required");
        assertEquals(2, TestSupport.run("produce", "--job", job, "--out", out.toString(), "--count", "-1").exitCode());

        Path net = Path.of("jobs", "attractor.network.json").toAbsolutePath();
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "network: " + net + "\ntask:\n  type: attractor\n  flips: 3\n");
        TestSupport.Result r = TestSupport.run("produce", "--job", bad.toString(), "--out", out.toString(), "--count", "3");
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().contains("task.flips: unknown key for task type attractor"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    /** Into Kafka: every record keyed by its sequence id, its value the same line the file gets. */
    @Test
    void kafkaGetsTheSameSequencesKeyedById(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.jsonl");
        assertEquals(0, produce("binary-addition", file, 500, 3).exitCode());
        Map<String, String> expected = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String id = line.substring("{\"id\":\"".length(), line.indexOf('"', "{\"id\":\"".length()));
            expected.put(id, line);
        }
        // a job with its own topic and a kafka section, which the producer must accept
        Path net = Path.of("jobs", "binary-addition.network.json").toAbsolutePath();
        Path job = Files.writeString(dir.resolve("binary-addition.yaml"), "network: " + net + "\n"
                + "topics:\n  sequences: adder.in\n  partitions: 3\n"
                + "kafka:\n  client.id: produce-test\n"
                + "task:\n  type: binary-addition\n  minBits: 1\n  maxBits: 8\n  delay: 2\n");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            TestSupport.Result r = TestSupport.run("produce", "--job", job.toString(), "--bootstrap-servers",
                    kafka.bootstrapServers(), "--count", "500", "--seed", "3");
            assertEquals(0, r.exitCode(), r.describe());
            List<ConsumerRecord<byte[], byte[]>> records = KafkaClients.readAll(kafka.bootstrapServers(), "adder.in", Duration.ofSeconds(30));
            assertEquals(500, records.size());
            HashSet<Integer> partitions = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> rec : records) {
                String key = new String(rec.key(), StandardCharsets.UTF_8);
                assertEquals(expected.get(key), new String(rec.value(), StandardCharsets.UTF_8), key);
                partitions.add(rec.partition());
            }
            assertEquals(3, partitions.size(), "the topic was created with the job's partition count");

            // per key: each record keyed by its sequence's key, so a device's sequences share a partition
            Path perKey = Files.writeString(dir.resolve("devices.yaml"), Files.readString(Path.of("jobs", "initial-state-per-key.yaml"))
                    .replace("network: initial-state.network.json", "network: "
                            + Path.of("jobs", "initial-state.network.json").toAbsolutePath()
                            + "\ntopics:\n  sequences: devices.in\n  partitions: 3"));
            Path devices = dir.resolve("devices.jsonl");
            assertEquals(0, TestSupport.run("produce", "--job", perKey.toString(), "--out", devices.toString(), "--count", "300").exitCode());
            // created with its leaders in place: a loaded machine's broker was once slow to elect one for a new topic
            kafka.createTopic("devices.in", 3);
            TestSupport.Result keyed = TestSupport.run("produce", "--job", perKey.toString(), "--bootstrap-servers",
                    kafka.bootstrapServers(), "--count", "300");
            assertEquals(0, keyed.exitCode(), keyed.describe());
            List<String> lines = Files.readAllLines(devices);
            List<ConsumerRecord<byte[], byte[]>> deviceRecords = KafkaClients.readAll(kafka.bootstrapServers(), "devices.in", Duration.ofSeconds(30));
            assertEquals(300, deviceRecords.size());
            Map<String, Integer> partitionOf = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> rec : deviceRecords) {
                String value = new String(rec.value(), StandardCharsets.UTF_8);
                assertTrue(lines.contains(value), value);
                String key = new String(rec.key(), StandardCharsets.UTF_8);
                assertTrue(value.contains(",\"key\":\"" + key + "\","), key + " is the record's key field: " + value);
                assertEquals(partitionOf.computeIfAbsent(key, k -> rec.partition()), rec.partition(), key + " in one partition");
            }
            assertEquals(20, partitionOf.size(), "every device");
            assertTrue(new HashSet<>(partitionOf.values()).size() > 1, "the devices spread over the partitions");

            // stream.sequenceFormat: avro: the same sequences as single-object Avro records, key field and record key kept
            Path avroJob = Files.writeString(dir.resolve("devices-avro.yaml"), Files.readString(perKey)
                    .replace("sequences: devices.in", "sequences: devices.avro") + "stream:\n  sequenceFormat: avro\n");
            kafka.createTopic("devices.avro", 3);
            TestSupport.Result avro = TestSupport.run("produce", "--job", avroJob.toString(), "--bootstrap-servers",
                    kafka.bootstrapServers(), "--count", "300");
            assertEquals(0, avro.exitCode(), avro.describe());
            Network deviceNet = JobConfig.read(avroJob).loadNetwork();
            List<ConsumerRecord<byte[], byte[]>> avroRecords = KafkaClients.readAll(kafka.bootstrapServers(), "devices.avro", Duration.ofSeconds(30));
            assertEquals(300, avroRecords.size());
            HashSet<String> decoded = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> rec : avroRecords) {
                assertTrue(SequenceAvro.isSingleObject(rec.value()));
                Sequence seq = SequenceAvro.read(rec.value(), "record", deviceNet, Limits.DEFAULT);
                assertEquals(new String(rec.key(), StandardCharsets.UTF_8), seq.key(), "the key field and the record key");
                decoded.add(SequenceJson.write(seq));
            }
            assertEquals(new HashSet<>(lines), decoded, "the same sequences as the file's lines");

            // events.format: avro: the sensor readings as Avro records of jobs/sensors.avsc, keyed by device
            Files.copy(Path.of("jobs/sensors.network.json"), dir.resolve("sensors.network.json"));
            Files.copy(Path.of("jobs/sensors.avsc"), dir.resolve("sensors.avsc"));
            Path sensors = Files.writeString(dir.resolve("sensors.yaml"), Files.readString(Path.of("jobs/sensors.yaml"))
                    .replace("events:\n", "events:\n  format: avro\n  schema: sensors.avsc\n  topic: sensors.avro\n"));
            kafka.createTopic("sensors.avro", 2);
            TestSupport.Result readings = TestSupport.run("produce", "--job", sensors.toString(), "--bootstrap-servers",
                    kafka.bootstrapServers(), "--count", "50");
            assertEquals(0, readings.exitCode(), readings.describe());
            JobConfig sensorsJob = JobConfig.read(sensors);
            EventAvro reader = EventAvro.of(sensorsJob.events(sensorsJob.loadNetwork()));
            List<ConsumerRecord<byte[], byte[]>> events = KafkaClients.readAll(kafka.bootstrapServers(), "sensors.avro",
                    Duration.ofSeconds(30));
            assertEquals(50, events.size());
            for (ConsumerRecord<byte[], byte[]> rec : events) {
                assertTrue(SequenceAvro.isSingleObject(rec.value()), "an Avro record");
                assertEquals(new String(rec.key(), StandardCharsets.UTF_8), reader.parse(rec.value(), "record", 0, 0).key,
                        "the device is the record's key");
            }
        }
    }
}
