package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void recordsSurviveRestart() throws Exception {
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.printf("embedded broker started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            kafka.createTopic("numbers", 1);
            kafka.createTopic("numbers", 1); // idempotent

            produce(kafka.bootstrapServers(), "numbers", 0, 100);
            assertEquals(range(0, 100), values(kafka.bootstrapServers(), "numbers"));

            String bootstrap = kafka.bootstrapServers();
            long restarting = System.nanoTime();
            kafka.restart();
            System.out.printf("embedded broker restarted in %d ms%n", (System.nanoTime() - restarting) / 1_000_000);
            assertEquals(bootstrap, kafka.bootstrapServers());
            assertEquals(range(0, 100), values(bootstrap, "numbers"));

            produce(bootstrap, "numbers", 100, 150);
            assertEquals(range(0, 150), values(bootstrap, "numbers"));
        }
    }

    @Test
    void fixedLogDirKeepsTopicsForTheNextBroker(@TempDir Path dir) throws Exception {
        Path logDir = dir.resolve("kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(logDir, 0)) {
            kafka.createTopic("kept", 2);
            produce(kafka.bootstrapServers(), "kept", 0, 10);
        }
        assertTrue(Files.isDirectory(logDir), "close keeps a caller's log dir");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(logDir, 0)) {
            List<String> values = values(kafka.bootstrapServers(), "kept");
            // two partitions: every record is back, in partition order rather than send order
            assertEquals(range(0, 10), values.stream().sorted(Comparator.comparingInt(Integer::parseInt)).toList());
        }
    }

    @Test
    void closeDeletesOwnedDataAndMissingTopicsReadEmpty() throws Exception {
        Path logDir;
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = Admin.create(KafkaClients.adminProps(KafkaClients.producerProps(kafka.bootstrapServers())))) {
            logDir = kafka.logDir();
            assertTrue(KafkaClients.readAll(kafka.bootstrapServers(), "absent", Duration.ofSeconds(2)).isEmpty());
            // on the same broker: a per-key job's parameters topic keeps every key's newest version
            Properties props = KafkaClients.producerProps(kafka.bootstrapServers());
            KafkaTopics.ensure(props, "per-key.parameters", 1, true);
            KafkaTopics.ensure(props, "one.parameters", 1);
            assertEquals("compact", cleanupPolicy(admin, "per-key.parameters"));
            assertEquals("delete", cleanupPolicy(admin, "one.parameters"));
        }
        assertFalse(Files.exists(logDir));
    }

    private static String cleanupPolicy(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(r)).all().get().get(r).get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
    }

    private static void produce(String bootstrap, String topic, int from, int to) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(bootstrap))) {
            for (int i = from; i < to; i++) {
                byte[] value = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, value, value)).get();
            }
        }
    }

    private static List<String> values(String bootstrap, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = KafkaClients.readAll(bootstrap, topic, TIMEOUT);
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private static List<String> range(int from, int to) {
        return IntStream.range(from, to).mapToObj(Integer::toString).toList();
    }
}
