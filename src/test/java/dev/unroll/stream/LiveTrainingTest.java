package dev.unroll.stream;

import dev.unroll.ExternalTools;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.unroll.format.NetworkJson;

/**
 * The live job on a real embedded KRaft broker and MiniCluster, fed while it runs: by a
 * kafka-clients producer with good and malformed records, and by kcat, a real outside client.
 */
class LiveTrainingTest extends BrokerTestBase {

    @Test
    void versionsArriveInOrderAndBadRecordsAreDeadLettered() throws Exception {
        JobConfig config = job("live", 8);
        Network net = config.loadNetwork();
        List<String> good = RandomSequences.jsonLines(net, 7, 40);
        Map<String, String> bad = new HashMap<>();
        bad.put("not json", "not valid JSON");
        bad.put("{\"steps\": 3, \"targets\": [{\"t\": 9, \"units\": [0], \"values\": [1]}]}", "targets[0].t");
        bad.put("{\"steps\": 2, \"targets\": [], \"extra\": 1}", "extra");
        bad.put("", "empty record");
        bad.put("{\"steps\": 2, \"targets\": [{\"t\": 1, \"units\": [99], \"values\": [1]}]}", "targets[0].units[0]");

        Pipeline.Topics topics = Pipeline.Topics.of(config);
        try (Pipeline pipeline = start(config, net)) {
            Map<Long, String> deadOffsets = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
                List<String> badRecords = new ArrayList<>(bad.keySet());
                for (int k = 0; k < good.size(); k++) {
                    producer.send(new ProducerRecord<>(topics.sequences(), 0, null, utf8(good.get(k)))).get();
                    if (k % 8 == 3 && !badRecords.isEmpty()) {
                        String record = badRecords.remove(0);
                        RecordMetadata at = producer.send(new ProducerRecord<>(topics.sequences(), 0, null, utf8(record))).get();
                        deadOffsets.put(at.offset(), bad.get(record));
                    }
                }
            }
            ParameterVersion newest = awaitSequences(pipeline, 40);
            assertEquals(5, newest.version);
            assertEquals(JobStatus.RUNNING, pipeline.client().getJobStatus().get(10, TimeUnit.SECONDS),
                    "bad records must not stop or restart the job");

            List<ConsumerRecord<byte[], byte[]>> versions = KafkaClients.readAll(broker.bootstrapServers(),
                    topics.parameters(), Duration.ofSeconds(30));
            long expected = 1;
            ParameterRecords records = new ParameterRecords(net, config.limits());
            for (ConsumerRecord<byte[], byte[]> record : versions) {
                ParameterVersion v = records.decode(record.value());
                assertEquals(expected, v.version, "versions in order");
                assertEquals(8 * expected, v.sequencesTrained, "cumulative count at version " + v.version);
                assertEquals(8, v.batchSize);
                assertFalse(v.last);
                expected++;
            }
            assertEquals(6, expected, "versions 1..5 on the topic");

            List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(topics.deadLetters(), bad.size());
            assertEquals(bad.size(), dead.size());
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                long offset = Long.parseLong(header(d, DeadLetterSerializer.SOURCE_OFFSET));
                assertTrue(deadOffsets.containsKey(offset), "dead letter for offset " + offset);
                assertEquals(topics.sequences(), header(d, DeadLetterSerializer.SOURCE_TOPIC));
                assertEquals("0", header(d, DeadLetterSerializer.SOURCE_PARTITION));
                String reason = header(d, DeadLetterSerializer.REASON);
                assertTrue(reason.contains(deadOffsets.get(offset)), "reason '" + reason + "' names " + deadOffsets.get(offset));
            }
        }
    }

    @Test
    void kcatFeedsTheLiveJob() throws Exception {
        String kcatTool = ExternalTools.require("kcat", "-V");
        JobConfig config = job("kcat", 5);
        Network net = config.loadNetwork();
        Path data = dir.resolve("data.jsonl");
        Files.write(data, RandomSequences.jsonLines(net, 11, 15));
        try (Pipeline pipeline = start(config, net)) {
            Process kcat = new ProcessBuilder(kcatTool, "-b", broker.bootstrapServers(), "-P",
                    "-t", config.get(JobConfig.SEQUENCES_TOPIC), "-l", data.toString())
                    .redirectErrorStream(true).start();
            assertTrue(kcat.waitFor(60, TimeUnit.SECONDS), "kcat finished");
            assertEquals(0, kcat.exitValue(), new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            ParameterVersion newest = awaitSequences(pipeline, 15);
            assertEquals(3, newest.version);
        }
    }

    @Test
    void replayOfWhatATopicHoldsMatchesTrainAndReportsItsDeadLetters() throws Exception {
        JobConfig config = job("topic-replay", 4);
        Network net = config.loadNetwork();
        List<String> lines = RandomSequences.jsonLines(net, 17, 14);
        String topic = "recorded.sequences";
        broker.createTopic(topic, 1);
        // offsets 0..5 come before the replay's start (a bad one among them, not its business); from 6 on
        // 9 good records and 2 bad ones, at offsets 10 and 16
        List<String> records = new ArrayList<>(lines);
        records.add(3, "not json");
        records.add(10, "{\"steps\": 0, \"targets\": []}");
        records.add("[]");
        Path all = dir.resolve("all.jsonl");
        Files.write(all, records);
        dev.unroll.kafka.FilePublisher.publishLines(KafkaClients.producerProps(broker.bootstrapServers()), topic, all);
        Files.write(dir.resolve("tail.jsonl"), lines.subList(5, lines.size()));

        String job = config.file().toString();
        assertEquals(0, dev.unroll.cli.Main.run("train", "--job", job, "--data", dir.resolve("tail.jsonl").toString(),
                "--out", dir.resolve("train.json").toString(), "--quiet"));
        TestSupport.Result replay = TestSupport.run("replay", "--job", job, "--bootstrap-servers", broker.bootstrapServers(),
                "--topic", topic, "--from-offsets", "0=6", "--parallelism", "2", "--out", dir.resolve("replay.json").toString(),
                "--dead-letters", dir.resolve("dead.jsonl").toString(), "--quiet");
        assertEquals(0, replay.exitCode(), replay.describe());
        Network trained = dev.unroll.format.NetworkJson.read(dir.resolve("train.json"), config.limits());
        Network replayed = dev.unroll.format.NetworkJson.read(dir.resolve("replay.json"), config.limits());
        RecoveryTest.assertClose(trained.parameters().weights, replayed.parameters().weights, "weights");
        RecoveryTest.assertClose(trained.parameters().biases, replayed.parameters().biases, "biases");
        RecoveryTest.assertClose(trained.parameters().initialState, replayed.parameters().initialState, "initialState");

        assertTrue(replay.err().contains("replay: 2 of 11 records rejected"), replay.describe());
        assertTrue(replay.err().contains("steps: must be at least 1, found 0 (at " + topic + "/0@10)"), replay.describe());
        List<String> dead = Files.readAllLines(dir.resolve("dead.jsonl"));
        assertEquals(List.of(topic + "/0@10", topic + "/0@16"),
                dead.stream().map(d -> TestSupport.json(d).get("source").asText()).toList(), String.join("\n", dead));
        assertEquals("[]", TestSupport.json(dead.get(1)).get("record").asText());
    }

    private JobConfig job(String name, int batchSize) throws Exception {
        return job(name, "j3-tied-b16", "training:\n  batchSize: " + batchSize
                + "\n  learningRate: 0.1\nstream:\n  parallelism: 2\n");
    }

    private Pipeline start(JobConfig config, Network net) throws Exception {
        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        Pipeline.Options live = Pipeline.Options.live(config).checkpointingEvery(0);
        return Pipeline.start(LocalFlink.create(2), TrainingSpec.of(config, net, 2), kafka, Pipeline.Topics.of(config),
                2, live);
    }

    private static ParameterVersion awaitSequences(Pipeline pipeline, long count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        ParameterVersion newest = null;
        while ((newest == null || newest.sequencesTrained < count) && System.nanoTime() < deadline) {
            newest = pipeline.follow(v -> { }, Duration.ofMillis(200));
        }
        assertNotNull(newest, "no parameter version arrived");
        assertEquals(count, newest.sequencesTrained, "sequences trained");
        return newest;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
