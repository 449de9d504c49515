package dev.unroll.kafka;

import dev.unroll.io.KafkaUnreachableException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
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

    /**
     * {@code producer} with settings for a bulk load: records gather into batches for up to 10 ms
     * instead of going one request each (the shared default, {@link #producerProps}, sends at
     * once): a replay's file of 100,000 records is then a few hundred requests, not 100,000.
     */
    public static Properties forBulkLoad(Properties producer) {
        Properties p = new Properties();
        p.putAll(producer);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        return p;
    }

    /**
     * {@code producer} for parameter versions that no BPTT instance waits for on the topic: per-key
     * versions (each update is applied where its key lives), and the one model's when every
     * instance takes them in memory beside the aggregator. Thousands a second, sent at once, cost
     * the broker a request each, as much CPU as the training or more; lingering 20 ms gathers each
     * 20 ms of them into one batch, compressed with lz4 (every version repeats the job's provenance
     * header). A version reaches the topic up to 20 ms later (docs/performance.md).
     */
    public static Properties forBatchedVersions(Properties producer) {
        Properties p = new Properties();
        p.putAll(producer);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return p;
    }

    /** How long a command waits for a broker to answer before it says it cannot reach Kafka. */
    public static final Duration REACH_TIMEOUT = Duration.ofSeconds(8);

    /**
     * Fails fast, naming the servers, when no broker answers: without this check a client waits
     * for its own timeouts (60 s to create a topic, 60 s per record to produce) and then reports
     * something about topics or metadata instead.
     *
     * @throws KafkaUnreachableException if no broker answers within {@code timeout}
     */
    public static void requireReachable(Properties clientProperties, Duration timeout) {
        String servers = clientProperties.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        Properties props = adminProps(clientProperties);
        int ms = (int) timeout.toMillis();
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        String cannot = "cannot reach Kafka at " + servers + ": ";
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            throw new KafkaUnreachableException(cannot + rootMessage(e), e);
        }
        try {
            admin.describeCluster().nodes().get(ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new KafkaUnreachableException(cannot + "no broker answered within " + timeout.toSeconds() + " s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException refused) {
                throw new KafkaUnreachableException(cannot + refusal(refused), e);
            }
            // the admin client's own timeout says only that it timed out; anything else is news
            String why = e.getCause() instanceof TimeoutException ? "" : " (" + rootMessage(e) + ")";
            throw new KafkaUnreachableException(cannot + "no broker answered within " + timeout.toSeconds() + " s" + why, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnreachableException(cannot + "interrupted", e);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    /** Only the keys an Admin client knows, so producer- or consumer-only settings do not produce warnings. */
    public static Properties adminProps(Properties client) {
        Properties p = new Properties();
        for (String key : client.stringPropertyNames()) {
            if (key.startsWith("bootstrap") || key.startsWith("security") || key.startsWith("sasl")
                    || key.startsWith("ssl") || key.startsWith("client.")) {
                p.put(key, client.getProperty(key));
            }
        }
        return p;
    }

    /**
     * What a broker's refusal to let this client in means, in the words of the settings to check
     * (docs/security.md); Kafka's own messages name neither a password nor a key store's secret.
     */
    private static String refusal(AuthenticationException e) {
        if (!(e instanceof SslAuthenticationException)) {
            return "authentication failed (check sasl.mechanism and the user and password in sasl.jaas.config): "
                    + e.getMessage();
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException || c instanceof CertificateNotYetValidException) {
                return "TLS handshake failed: the broker's certificate is not valid now (" + c.getMessage() + ")";
            }
        }
        return "TLS handshake failed (does ssl.truststore.location hold the CA that signed the broker's certificate?): "
                + rootMessage(e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    /**
     * Reads {@code topic} as {@link #readAll(Properties, String, Duration, boolean)} does, again and
     * again until it holds at least {@code atLeast} records or {@code timeout} has passed: for
     * records an at-least-once sink is still delivering. Returns what it read last.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(Properties clientProperties, String topic, long atLeast,
                                                                   Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ConsumerRecord<byte[], byte[]>> records = readAll(clientProperties, topic, timeout, false);
            if (records.size() >= atLeast || System.nanoTime() >= deadline) {
                return records;
            }
            Thread.sleep(100);
        }
    }

    /**
     * How many records {@code topic} holds now from {@code fromOffsets} (partition to offset; the
     * beginning of a partition not named) to its end; 0 for an absent topic.
     */
    public static long countRecords(Properties clientProperties, String topic, Map<Integer, Long> fromOffsets) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(lookingConsumerProps(clientProperties))) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, REACH_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return 0;
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, REACH_TIMEOUT);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, REACH_TIMEOUT);
            long count = 0;
            for (TopicPartition tp : partitions) {
                long from = Math.max(begin.get(tp), fromOffsets.getOrDefault(tp.partition(), 0L));
                count += Math.max(0, end.get(tp) - from);
            }
            return count;
        }
    }

    /**
     * A job's client properties for a consumer that only looks: byte[] records, no group, nothing
     * committed, no topic created by asking for it, from the beginning.
     */
    public static Properties lookingConsumerProps(Properties clientProperties) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        return props;
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
        Properties props = lookingConsumerProps(clientProperties);
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
