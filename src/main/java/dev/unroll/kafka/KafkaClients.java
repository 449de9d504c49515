package dev.unroll.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Client settings shared by the job and the tests, sized for records up to {@link EmbeddedKafka#MAX_MESSAGE_BYTES}. */
public final class KafkaClients {

    private static final String MAX_BYTES = String.valueOf(EmbeddedKafka.MAX_MESSAGE_BYTES);

    private KafkaClients() {
    }

    /**
     * Socket buffer size meaning "the operating system's, auto-tuned". Kafka's fixed defaults (64 to
     * 128 KB) cut a parameter version of half a megabyte into several round trips; measured on the
     * embedded broker, a 300 KB record's hop took p50 4.5 ms with OS buffers on both ends instead of
     * 10.3 ms.
     */
    public static final String OS_SOCKET_BUFFERS = "-1";

    /**
     * A byte[] producer that waits for the write to be durable and sends at once: Kafka 4 lingers
     * 5 ms by default, which every synchronous parameter update would pay.
     */
    public static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.SEND_BUFFER_CONFIG, OS_SOCKET_BUFFERS);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_BYTES);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private static Properties groupLessConsumerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, MAX_BYTES);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * Reads {@code topic} from the beginning up to its end offsets at call time, without a consumer group,
     * partition after partition, each in offset order. An absent topic reads as empty.
     *
     * @throws TimeoutException if the end offsets are not reached within {@code timeout}
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, Duration timeout) {
        return readAll(groupLessConsumerProps(bootstrap), topic, timeout, false);
    }

    /**
     * The same with a job's client properties (bootstrap servers, security settings).
     *
     * @param requireTopic whether an absent topic is an error (IllegalStateException) rather than empty
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(Properties clientProperties, String topic, Duration timeout,
                                                               boolean requireTopic) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        long deadline = System.nanoTime() + timeout.toNanos();
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                if (requireTopic) {
                    throw new IllegalStateException("topic " + topic + " does not exist");
                }
                return List.of();
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, remaining(deadline));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            while (!reached(consumer, end, deadline)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(remaining(deadline))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        records.add(r);
                    }
                }
            }
            records.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
                    .thenComparingLong(ConsumerRecord::offset));
            return records;
        } finally {
            // Nothing to commit; a plain close would wait up to fetch.max.wait.ms (500 ms) for the prefetch.
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end, long deadline) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), remaining(deadline)) < e.getValue()) {
                if (System.nanoTime() >= deadline) {
                    throw new TimeoutException("reading " + e.getKey() + " did not reach offset " + e.getValue());
                }
                return false;
            }
        }
        return true;
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
