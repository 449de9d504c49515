package dev.unroll.kafka;

import dev.unroll.record.DeadLetter;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * Writes a rejected record as it arrived (same key, same value bytes, so it can be re-driven)
 * with its source coordinates and the reason in headers, the convention of Kafka Connect's
 * dead-letter queues: {@code unroll.reason}, {@code unroll.stage}, {@code unroll.source.topic},
 * {@code unroll.source.partition}, {@code unroll.source.offset}.
 */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    public static final String REASON = "unroll.reason";
    public static final String STAGE = "unroll.stage";
    public static final String SOURCE_TOPIC = "unroll.source.topic";
    public static final String SOURCE_PARTITION = "unroll.source.partition";
    public static final String SOURCE_OFFSET = "unroll.source.offset";

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(d.reason));
        headers.add(STAGE, utf8(d.stage));
        headers.add(SOURCE_TOPIC, utf8(d.topic));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(d.partition)));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(d.offset)));
        return new ProducerRecord<>(topic, null, null, d.key, d.value, headers);
    }

    /** A dead-letter record as it was written: the record as it arrived, where it came from and why. */
    public static DeadLetter read(ConsumerRecord<byte[], byte[]> r) {
        return new DeadLetter(header(r, SOURCE_TOPIC), (int) number(header(r, SOURCE_PARTITION)),
                number(header(r, SOURCE_OFFSET)), r.key(), r.value(), header(r, STAGE), header(r, REASON));
    }

    /** -1 for a header that is missing or not a number (written by something else). */
    private static long number(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
