package dev.unroll.stream;

import dev.unroll.format.AvroTestRecords;
import dev.unroll.format.SequenceAvro;
import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Poison records sent to the live job, in both record formats: each lands on the dead-letter
 * topic with its source coordinates and a reason, the job never restarts, and the counts add up:
 * records in = sequences trained + records dead-lettered.
 */
class BadInputTest extends BrokerTestBase {

    /** Kind of malformation -> the record. The job's network has 5 units and 4 input units. */
    static Map<String, byte[]> corpus() {
        Map<String, byte[]> c = new LinkedHashMap<>();
        byte[] garbage = new byte[300];
        new SplittableRandom(5).nextBytes(garbage);
        c.put("binary garbage", garbage);
        c.put("invalid UTF-8", new byte[] {'{', '"', 's', (byte) 0xC3, (byte) 0x28, '"', '}'});
        c.put("truncated JSON", utf8("{\"steps\": 3, \"targets\": [{\"t\": 1, \"units\": [4], \"val"));
        c.put("empty record", new byte[0]);
        c.put("no value (tombstone)", null);
        c.put("a list, not an object", utf8("[1, 2, 3]"));
        c.put("a string", utf8("\"steps\""));
        c.put("a number", utf8("42"));
        c.put("steps a string", utf8("{\"steps\": \"3\", \"targets\": []}"));
        c.put("steps 0", utf8("{\"steps\": 0, \"targets\": []}"));
        c.put("steps negative", utf8("{\"steps\": -4, \"targets\": []}"));
        c.put("steps fractional", utf8("{\"steps\": 2.5, \"targets\": []}"));
        c.put("steps over the limit", utf8("{\"steps\": 5000, \"targets\": []}"));
        c.put("steps far over int", utf8("{\"steps\": 99999999999999999999, \"targets\": []}"));
        c.put("targets missing", utf8("{\"steps\": 3}"));
        c.put("targets not a list", utf8("{\"steps\": 3, \"targets\": {\"t\": 1}}"));
        c.put("target time after T", utf8("{\"steps\": 3, \"targets\": [{\"t\": 4, \"units\": [4], \"values\": [1]}]}"));
        c.put("target time 0", utf8("{\"steps\": 3, \"targets\": [{\"t\": 0, \"units\": [4], \"values\": [1]}]}"));
        c.put("target unit out of range", utf8("{\"steps\": 3, \"targets\": [{\"t\": 1, \"units\": [5], \"values\": [1]}]}"));
        c.put("target shapes differ", utf8("{\"steps\": 3, \"targets\": [{\"t\": 1, \"units\": [4, 3], \"values\": [1]}]}"));
        c.put("target value NaN", utf8("{\"steps\": 3, \"targets\": [{\"t\": 1, \"units\": [4], \"values\": [NaN]}]}"));
        c.put("target value overflows", utf8("{\"steps\": 3, \"targets\": [{\"t\": 1, \"units\": [4], \"values\": [1e999]}]}"));
        c.put("inputs rows wrong", utf8("{\"steps\": 3, \"inputs\": [[0,0,0,0]], \"targets\": []}"));
        c.put("inputs width wrong", utf8("{\"steps\": 1, \"inputs\": [[0,0,0]], \"targets\": []}"));
        c.put("input value a string", utf8("{\"steps\": 1, \"inputs\": [[0,0,\"x\",0]], \"targets\": []}"));
        c.put("initial unit twice", utf8("{\"steps\": 1, \"initial\": {\"units\": [1,1], \"values\": [0,0]}, \"targets\": []}"));
        c.put("initial unit negative", utf8("{\"steps\": 1, \"initial\": {\"units\": [-1], \"values\": [0]}, \"targets\": []}"));
        c.put("unknown field", utf8("{\"steps\": 1, \"targets\": [], \"weights\": []}"));
        c.put("duplicate field", utf8("{\"steps\": 1, \"steps\": 2, \"targets\": []}"));
        c.put("trailing garbage", utf8("{\"steps\": 1, \"targets\": []} {}"));
        c.put("deeply nested", utf8("[".repeat(200_000)));
        byte[] big = new byte[10_000];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        c.put("oversize record", big);
        return c;
    }

    /** The cases of {@link #corpus()} that Avro's types can carry, as Avro records. */
    private static final List<String> IN_AVRO_TOO = List.of("steps 0", "steps negative", "steps over the limit",
            "target time after T", "target time 0", "target unit out of range", "target shapes differ", "target value NaN",
            "target value overflows", "inputs rows wrong", "inputs width wrong", "initial unit twice", "initial unit negative");

    /**
     * Avro records: the cases of {@link #corpus()} that Avro's types can carry, and the ways only bytes
     * can be bad, each from {@code valid}, a valid record.
     */
    static Map<String, byte[]> avroCorpus(byte[] valid) {
        Map<String, byte[]> c = new LinkedHashMap<>();
        Map<String, byte[]> json = corpus();
        for (String kind : IN_AVRO_TOO) {
            c.put("avro: " + kind, AvroTestRecords.fromJson(new String(json.get(kind), StandardCharsets.UTF_8)));
        }
        byte[] header = Arrays.copyOf(valid, 10);
        c.put("avro: header only", header);
        c.put("avro: marker only", Arrays.copyOf(valid, 2));
        c.put("avro: truncated", Arrays.copyOf(valid, valid.length / 2));
        c.put("avro: trailing bytes", Arrays.copyOf(valid, valid.length + 2));
        byte[] otherSchema = valid.clone();
        otherSchema[5] ^= 1;
        c.put("avro: another schema's fingerprint", otherSchema);
        c.put("avro: union branch out of range", concat(header, 6));
        c.put("avro: string of negative length", concat(header, 2, 3));
        c.put("avro: key not UTF-8", concat(header, 0, 2, 4, 'a', 0xFF, 0, 6, 0, 0, 0));
        c.put("avro: varint over 10 bytes", concat(header, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
        c.put("avro: steps over int", concat(header, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0));
        c.put("avro: 2^40 targets claimed", concat(header, 0, 0, 6, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0));
        c.put("avro: 2^40 input rows claimed", concat(header, 0, 0, 6, 0, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0));
        byte[] big = Arrays.copyOf(header, 10_000);
        c.put("avro: oversize record", big);
        return c;
    }

    private static byte[] concat(byte[] head, int... tail) {
        byte[] out = Arrays.copyOf(head, head.length + tail.length);
        for (int k = 0; k < tail.length; k++) {
            out[head.length + k] = (byte) tail[k];
        }
        return out;
    }

    @Test
    void everyPoisonRecordIsDeadLetteredAndTheCountsAddUp() throws Exception {
        JobConfig config = job("poison", "j3-tied-b16", "training:\n  batchSize: 5\n"
                + "limits:\n  maxSteps: 1000\n  maxRecordBytes: 4096\nstream:\n  parallelism: 2\n");
        Network net = config.loadNetwork();
        Map<String, byte[]> corpus = corpus();
        assertTrue(corpus.size() >= 25, "at least 25 kinds");
        List<byte[]> good = new ArrayList<>();
        for (String line : RandomSequences.jsonLines(net, 21, 20)) {
            good.add(utf8(line));
        }
        for (String line : RandomSequences.jsonLines(net, 22, 20)) {
            good.add(SequenceAvro.write(SequenceJson.parse(line, "good", net, config.limits())));
        }
        Map<String, byte[]> avro = avroCorpus(good.get(good.size() - 1));
        assertTrue(avro.size() >= 25, "at least 25 kinds in Avro");
        corpus.putAll(avro);

        Pipeline.Topics topics = Pipeline.Topics.of(config);
        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        try (Pipeline pipeline = Pipeline.start(LocalFlink.create(2), TrainingSpec.of(config, net, 2), kafka, topics, 1,
                Pipeline.Options.live(config).checkpointingEvery(0))) {
            Map<Long, String> kindAt = new LinkedHashMap<>();
            List<String> kinds = new ArrayList<>(corpus.keySet());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
                for (int k = 0; k < Math.max(good.size(), kinds.size()); k++) {
                    if (k < kinds.size()) {
                        long offset = producer.send(new ProducerRecord<>(topics.sequences(), 0, utf8("key-" + k),
                                corpus.get(kinds.get(k)))).get().offset();
                        kindAt.put(offset, kinds.get(k));
                    }
                    if (k < good.size()) {
                        producer.send(new ProducerRecord<>(topics.sequences(), 0, null, good.get(k))).get();
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            ParameterVersion newest = null;
            while ((newest == null || newest.sequencesTrained < good.size()) && System.nanoTime() < deadline) {
                newest = pipeline.follow(v -> { }, Duration.ofMillis(200));
            }
            List<ConsumerRecord<byte[], byte[]>> dead = List.of();
            while (dead.size() < corpus.size() && System.nanoTime() < deadline) {
                dead = KafkaClients.readAll(broker.bootstrapServers(), topics.deadLetters(), Duration.ofSeconds(10));
            }
            assertEquals(JobStatus.RUNNING, pipeline.client().getJobStatus().get(10, TimeUnit.SECONDS));
            assertEquals(0, pipeline.client().getJobStatus().thenApply(s -> 0).get(), "still running");

            long recordsIn = corpus.size() + good.size();
            assertEquals(recordsIn, newest.sequencesTrained + dead.size(),
                    "records in = sequences trained + dead letters (" + newest.sequencesTrained + " + " + dead.size() + ")");
            assertEquals(good.size(), newest.sequencesTrained);
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                long offset = Long.parseLong(header(d, DeadLetterSerializer.SOURCE_OFFSET));
                String kind = kindAt.remove(offset);
                assertTrue(kind != null, "one dead letter per poison record, offset " + offset);
                assertEquals(topics.sequences(), header(d, DeadLetterSerializer.SOURCE_TOPIC), kind);
                assertEquals("decode", header(d, DeadLetterSerializer.STAGE), kind);
                String reason = header(d, DeadLetterSerializer.REASON);
                assertTrue(reason.startsWith(topics.sequences() + "/0@" + offset + ": "), kind + ": " + reason);
                assertTrue(reason.length() < 400 && !reason.contains("\n"), kind + ": a one-line reason: " + reason);
                assertTrue(Arrays.equals(corpus.get(kind), d.value()) || (corpus.get(kind) == null && d.value() == null),
                        kind + ": the record is kept byte for byte");
            }
            assertTrue(kindAt.isEmpty(), "not dead-lettered: " + kindAt.values());
        }
    }

    @Test
    void aSequenceWhoseGradientOverflowsIsLeftOutAndDeadLettered() throws Exception {
        // linear units with weights 3: the states grow as 9^t and overflow long before t = 1000
        Files.writeString(dir.resolve("net.json"), "{\"units\": 2, \"activation\": \"linear\","
                + " \"weights\": [[3,3],[3,3]], \"biases\": [0,0], \"initialState\": [0.5,0.5]}");
        Path jobFile = dir.resolve("overflow.yaml");
        Files.writeString(jobFile, "name: overflow\nnetwork: net.json\ntraining:\n  batchSize: 4\n  learningRate: 0.001\n");
        JobConfig config = JobConfig.read(jobFile);
        Network net = config.loadNetwork();
        String small = "{\"steps\": 2, \"targets\": [{\"t\": 2, \"units\": [0], \"values\": [1]}]}";
        String huge = "{\"steps\": 1000, \"targets\": [{\"t\": 1000, \"units\": [0], \"values\": [1]}]}";
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        try (Pipeline pipeline = Pipeline.start(LocalFlink.create(2), TrainingSpec.of(config, net, 2), kafka, topics, 1,
                Pipeline.Options.live(config).checkpointingEvery(0))) {
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
                for (String s : List.of(small, huge, small, small)) {
                    producer.send(new ProducerRecord<>(topics.sequences(), 0, null, utf8(s))).get();
                }
            }
            ParameterVersion v = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((v == null || v.version < 1) && System.nanoTime() < deadline) {
                v = pipeline.follow(x -> { }, Duration.ofMillis(200));
            }
            assertEquals(1, v.version);
            assertEquals(3, v.batchSize, "the overflowing sequence is left out of the average");
            for (double w : v.weights) {
                assertTrue(Double.isFinite(w), "a non-finite update is never applied");
            }
            // the dead letter travels its own way (BPTT -> the dead-letter sink) and may land after version 1
            List<ConsumerRecord<byte[], byte[]>> dead = KafkaClients.readAtLeast(kafka.consumerProperties(),
                    topics.deadLetters(), 1, Duration.ofSeconds(10));
            assertEquals(1, dead.size());
            assertEquals("bptt", header(dead.get(0), DeadLetterSerializer.STAGE));
            assertEquals("1", header(dead.get(0), DeadLetterSerializer.SOURCE_OFFSET));
            assertTrue(header(dead.get(0), DeadLetterSerializer.REASON).contains("not finite"));
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
