package dev.unroll.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Publishes a recorded {@code .jsonl} file to a topic, one record per line, in file order. */
public final class FilePublisher {
    private FilePublisher() {
    }

    /** Returns the number of records published; every one is acknowledged before this returns. */
    public static long publishLines(Properties producerProperties, String topic, Path file) throws IOException {
        long count = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties);
             BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                // partition 0: one partition keeps the file's order, which defines the batches
                producer.send(new ProducerRecord<>(topic, 0, null, line.getBytes(StandardCharsets.UTF_8)));
                count++;
            }
            producer.flush();
        }
        return count;
    }
}
