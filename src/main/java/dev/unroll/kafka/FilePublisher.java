package dev.unroll.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;

/**
 * Publishes a recorded {@code .jsonl} file to a topic, one record per line, in file order: the
 * line's text, or what {@code value} makes of it (its sequence in another record format).
 */
public final class FilePublisher {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private FilePublisher() {
    }

    /**
     * Per-key models: each line to partition {@code hash(key) mod partitions}, with its {@code key}
     * field as record key, so all of a key's lines are in one partition in file order (a line with no
     * readable key goes to partition 0). Returns, per partition, the line number (from 1) at each offset.
     */
    public static long[][] publishKeyedLines(Properties producerProperties, String topic, Path file, int partitions,
                                             Function<String, byte[]> value) throws IOException {
        return publishKeyedLines(producerProperties, topic, file, partitions, "key", value);
    }

    /**
     * The same with the record key read from the field {@code keyField} (text, or a whole number as
     * its digits), as an events file's lines are keyed by their event key.
     */
    public static long[][] publishKeyedLines(Properties producerProperties, String topic, Path file, int partitions,
                                             String keyField, Function<String, byte[]> value) throws IOException {
        List<List<Long>> lines = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            lines.add(new ArrayList<>());
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties);
             BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                byte[] key = keyOf(line, keyField);
                int partition = key == null ? 0 : Utils.toPositive(Utils.murmur2(key)) % partitions;
                producer.send(new ProducerRecord<>(topic, partition, key, value.apply(line)));
                lines.get(partition).add(number);
            }
            producer.flush();
        }
        long[][] out = new long[partitions][];
        for (int p = 0; p < partitions; p++) {
            out[p] = lines.get(p).stream().mapToLong(Long::longValue).toArray();
        }
        return out;
    }

    /**
     * The line's top-level {@code field}, read with a streaming parser that stops there (the
     * field usually comes first): building each line's tree took most of a replay's time to publish.
     */
    static byte[] keyOf(String line, String field) {
        try (JsonParser p = MAPPER.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                JsonToken value = p.nextToken();
                if (field.equals(p.currentName())) {
                    return value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT
                            ? p.getText().getBytes(StandardCharsets.UTF_8) : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Each line as it is; returns the number of records published, every one acknowledged before this returns. */
    public static long publishLines(Properties producerProperties, String topic, Path file) throws IOException {
        return publishLines(producerProperties, topic, file, line -> line.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the number of records published; every one is acknowledged before this returns. */
    public static long publishLines(Properties producerProperties, String topic, Path file, Function<String, byte[]> value)
            throws IOException {
        long count = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties);
             BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                // partition 0: one partition keeps the file's order, which defines the batches
                producer.send(new ProducerRecord<>(topic, 0, null, value.apply(line)));
                count++;
            }
            producer.flush();
        }
        return count;
    }
}
