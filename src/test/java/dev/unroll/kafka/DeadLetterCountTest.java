package dev.unroll.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The dead-letter count of a progress line, on a real broker with a clock the test moves. */
class DeadLetterCountTest {
    private static EmbeddedKafka broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void countsRecordsSinceItWasMadeAskingAtMostOnceASecond() throws Exception {
        String topic = "dead-letter-count";
        broker.createTopic(topic, 2);
        Properties client = KafkaClients.producerProps(broker.bootstrapServers());
        write(client, topic, 2); // an earlier run's
        AtomicLong clock = new AtomicLong();
        try (DeadLetterCount count = new DeadLetterCount(client, topic, clock::get)) {
            assertEquals(0, count.count());
            write(client, topic, 3);
            clock.addAndGet(999_000_000L);
            assertEquals(0, count.count(), "asked again before a second had passed");
            clock.addAndGet(1_000_000L);
            assertEquals(3, count.count());
            write(client, topic, 1);
            assertEquals(3, count.count(), "the answer of a moment ago");
            assertEquals(4, count.countNow());
        }
    }

    @Test
    void aTopicThatDoesNotExistCountsZero() {
        AtomicLong clock = new AtomicLong();
        try (DeadLetterCount count = new DeadLetterCount(KafkaClients.producerProps(broker.bootstrapServers()),
                "no-such-topic", clock::get)) {
            clock.addAndGet(2_000_000_000L);
            assertEquals(0, count.count());
        }
    }

    private static void write(Properties client, String topic, int records) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client)) {
            for (int k = 0; k < records; k++) {
                producer.send(new ProducerRecord<>(topic, k % 2, null, ("bad " + k).getBytes(StandardCharsets.UTF_8))).get();
            }
        }
    }
}
