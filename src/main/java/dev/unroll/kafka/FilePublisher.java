package dev.unroll.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Publishes a recorded {@code .jsonl} file to a topic, one record per line, in file order. A line
 * that names its sequence's {@code key} (per-key models) is published with that key as the record
 * key, as {@code produce} does; other lines, and lines that are not JSON objects, have none.
 */
public final class FilePublisher {
    private static final JsonFactory JSON = new JsonFactory();

    private FilePublisher() {
    }

    /** Returns the number of records published; every one is acknowledged before this returns. */
    public static long publishLines(Properties producerProperties, String topic, Path file) throws IOException {
        long count = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties);
             BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                // partition 0: one partition keeps the file's order, which defines the batches
                producer.send(new ProducerRecord<>(topic, 0, sequenceKey(line), line.getBytes(StandardCharsets.UTF_8)));
                count++;
            }
            producer.flush();
        }
        return count;
    }

    /**
     * The UTF-8 of the line's top-level {@code "key"} string, or null when it has none. Only a
     * routing hint: whether the line is a valid sequence is for the job's decoder to say.
     */
    static byte[] sequenceKey(String line) {
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("key".equals(name)) {
                    return value == JsonToken.VALUE_STRING ? p.getText().getBytes(StandardCharsets.UTF_8) : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
