package dev.unroll.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.job.JobConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Asks a running job through its requests topic, as any client would, and reads the predictions
 * that answer: the client side of serving for the commands (the demo's questions).
 */
public final class Requests implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String requests;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;

    /** Reads the predictions topic from its end now: only answers to what is asked from here on. */
    public Requests(KafkaConnectors kafka, JobConfig config) {
        this.requests = config.get(JobConfig.REQUESTS_TOPIC);
        String predictions = config.get(JobConfig.PREDICTIONS_TOPIC);
        Properties c = kafka.consumerProperties();
        c.remove("group.id");
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        producer = new KafkaProducer<>(kafka.producerProperties());
        List<TopicPartition> partitions = consumer.partitionsFor(predictions, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(predictions, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // the end now, before anything is asked: a lazy seek could pass over a quick answer
        partitions.forEach(consumer::position);
    }

    /** Sends a request keyed by its id. */
    public void ask(String id, String request) {
        producer.send(new ProducerRecord<>(requests, id.getBytes(StandardCharsets.UTF_8),
                request.getBytes(StandardCharsets.UTF_8)));
    }

    /** The predictions that answer {@code ids}, as they arrive, until all have or {@code timeout} passes. */
    public List<JsonNode> answers(Set<String> ids, Duration timeout) throws IOException {
        producer.flush();
        Set<String> waiting = new HashSet<>(ids);
        List<JsonNode> answers = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                JsonNode p = MAPPER.readTree(r.value());
                if (waiting.remove(p.path("id").asText())) {
                    answers.add(p);
                }
            }
        }
        return answers;
    }

    @Override
    public void close() {
        try (consumer; producer) {
            producer.flush();
        }
    }
}
