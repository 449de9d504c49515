package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.job.SigningKey;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.KafkaTopics;
import dev.unroll.kafka.KafkaVersionFeed;
import dev.unroll.kafka.ParameterVersionDeserializer;
import dev.unroll.kafka.ParameterVersionSerializer;
import dev.unroll.kafka.PredictionSerializer;
import dev.unroll.kafka.ParametersTopic;
import dev.unroll.kafka.ParsingDeserializer;
import dev.unroll.kafka.RawRecordDeserializer;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.RecordParser;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionLog;
import dev.unroll.stream.ServingJob;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;

import java.util.Map;
import java.util.Properties;

/**
 * The job's Kafka sources and sinks, built with the official connector. Every client gets the
 * job's extra client properties (security settings, for example) on top of Unroll's defaults;
 * with the job's signing key, parameter records are signed where they are written and checked
 * wherever they are read.
 */
public final class KafkaConnectors {
    private final String bootstrap;
    private final Map<String, String> clientProperties;
    private final SigningKey signingKey;

    /** @param signingKey null when parameter records are not signed */
    public KafkaConnectors(String bootstrap, Map<String, String> clientProperties, SigningKey signingKey) {
        this.bootstrap = bootstrap;
        this.clientProperties = Map.copyOf(clientProperties);
        this.signingKey = signingKey;
    }

    /** {@code config}'s client properties and signing key, for the servers at {@code bootstrap}. */
    public static KafkaConnectors of(String bootstrap, JobConfig config) {
        return new KafkaConnectors(bootstrap, config.kafka(), config.signingKey());
    }

    /**
     * The sequences, from {@code start}; bounded at the offsets {@code stop} gives at start time, or
     * unbounded when {@code stop} is null.
     */
    public KafkaSource<RawRecord> sequences(String topic, String groupId, OffsetsInitializer start, OffsetsInitializer stop) {
        return source(topic, groupId, start, stop, new RawRecordDeserializer());
    }

    /**
     * Records read at the source by {@code parser} (the events input, whose watermarks need each
     * partition's event times), from {@code start}; bounded as {@link #sequences}.
     */
    public <T> KafkaSource<T> parsed(String topic, String groupId, OffsetsInitializer start, OffsetsInitializer stop,
                                     RecordParser<T> parser, Class<T> type) {
        return source(topic, groupId, start, stop, new ParsingDeserializer<>(parser, type));
    }

    private <T> KafkaSource<T> source(String topic, String groupId, OffsetsInitializer start, OffsetsInitializer stop,
                                      KafkaRecordDeserializationSchema<T> deserializer) {
        KafkaSourceBuilder<T> b = KafkaSource.<T>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(start)
                .setDeserializer(deserializer)
                .setProperties(consumerProperties());
        if (stop != null) {
            b.setBounded(stop);
        }
        return b.build();
    }

    /** The newest version of {@code job} on the parameters topic {@code topic}, to start from ({@link ParametersTopic#newestToStartFrom}). */
    public ParameterVersion newestVersion(String topic, String job, Network structure, Limits limits) {
        return parametersTopic(topic, job, structure, limits).newestToStartFrom();
    }

    /** The history of {@code job}'s versions on the parameters topic {@code topic}, for reports. */
    public VersionLog versionLog(String topic, String job, Network structure, Limits limits) {
        return parametersTopic(topic, job, structure, limits);
    }

    /** {@code topic} as a parameters topic of {@code job}'s versions of {@code structure}'s network, read with these clients' settings. */
    ParametersTopic parametersTopic(String topic, String job, Network structure, Limits limits) {
        return new ParametersTopic(consumerProperties(), topic, job, structure, limits, signingKey);
    }

    /** The parameter versions from {@code from} on, for the prediction path (a restored job resumes from its checkpointed offset). */
    public KafkaSource<ParameterVersion> parameters(String topic, String groupId, TrainingSpec spec, OffsetsInitializer from) {
        return KafkaSource.<ParameterVersion>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(from)
                .setDeserializer(new ParameterVersionDeserializer(spec, signingKey))
                .setProperties(consumerProperties())
                .build();
    }

    /** The parameters topic, read by each BPTT instance directly. */
    public KafkaVersionFeed versionFeed(String topic) {
        return new KafkaVersionFeed(consumerProperties(), topic, signingKey);
    }

    /**
     * At-least-once: see docs/architecture.md for why not exactly-once. Versions go
     * in batches ({@link KafkaClients#forBatchedVersions}) unless {@code waitedFor}: a BPTT
     * instance may wait for each one on the topic (the one model, on a cluster or with the
     * in-process hand-off off), so each goes at once.
     */
    public KafkaSink<ParameterVersion> parameterSink(String topic, TrainingSpec spec, boolean waitedFor) {
        return KafkaSink.<ParameterVersion>builder()
                .setBootstrapServers(bootstrap)
                .setRecordSerializer(new ParameterVersionSerializer(spec, topic, signingKey))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(waitedFor ? producerProperties() : batchedVersionProducerProperties())
                .build();
    }

    /** Predictions, keyed like their requests; at-least-once like every other sink of the job. */
    public KafkaSink<PredictionRecord> predictionSink(String topic, String job) {
        return KafkaSink.<PredictionRecord>builder()
                .setBootstrapServers(bootstrap)
                .setRecordSerializer(new PredictionSerializer(job, topic))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(producerProperties())
                .build();
    }

    /**
     * The prediction path's connectors: requests produced from {@code requestsSinceMillis} on,
     * the parameters topic read from {@code versionsFrom}.
     */
    public ServingJob.Wiring serving(TrainingSpec spec, ServingTopics topics, OffsetsInitializer versionsFrom,
                                     long requestsSinceMillis, int parallelism) {
        String group = "unroll." + spec.job() + ".serving";
        return new ServingJob.Wiring(
                sequences(topics.requests(), group, OffsetsInitializer.timestamp(requestsSinceMillis), null),
                parameters(topics.parameters(), group + ".parameters", spec, versionsFrom),
                predictionSink(topics.predictions(), spec.job()), deadLetterSink(topics.deadLetters()), parallelism);
    }

    public KafkaSink<DeadLetter> deadLetterSink(String topic) {
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(bootstrap)
                .setRecordSerializer(new DeadLetterSerializer(topic))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(producerProperties())
                .build();
    }

    /** {@link #producerProperties} for loading a file or a backlog: batched (the job's extra client properties still win). */
    public Properties bulkProducerProperties() {
        Properties p = KafkaClients.forBulkLoad(KafkaClients.producerProps(bootstrap));
        p.putAll(clientProperties);
        return p;
    }

    /** {@link #producerProperties} for versions no instance waits for: batched and compressed (the job's extra client properties still win). */
    public Properties batchedVersionProducerProperties() {
        Properties p = KafkaClients.forBatchedVersions(KafkaClients.producerProps(bootstrap));
        p.putAll(clientProperties);
        return p;
    }

    public Properties producerProperties() {
        Properties p = KafkaClients.producerProps(bootstrap);
        p.putAll(clientProperties);
        return p;
    }

    public Properties consumerProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("max.partition.fetch.bytes", String.valueOf(EmbeddedKafka.MAX_MESSAGE_BYTES));
        p.put("fetch.max.bytes", String.valueOf(EmbeddedKafka.MAX_MESSAGE_BYTES));
        p.put("receive.buffer.bytes", KafkaClients.OS_SOCKET_BUFFERS);
        p.putAll(clientProperties);
        return p;
    }

    /**
     * {@link #consumerProperties} for following a job's versions from outside it (the commands'
     * progress and final parameters), up to thousands a second: each fetch waits for 64 KB or
     * 100 ms instead of answering with whatever one producer batch brought.
     */
    public Properties followerConsumerProperties() {
        Properties p = consumerProperties();
        p.put("fetch.min.bytes", String.valueOf(64 * 1024));
        p.put("fetch.max.wait.ms", "100");
        p.putAll(clientProperties);
        return p;
    }

    /** @throws dev.unroll.io.KafkaUnreachableException with the reason, when no broker answers within a few seconds */
    public void requireReachable() {
        KafkaClients.requireReachable(consumerProperties(), KafkaClients.REACH_TIMEOUT);
    }

    /** Creates {@code topic} with {@code partitions} partitions when it is missing. */
    public void ensureTopic(String topic, int partitions) {
        KafkaTopics.ensure(producerProperties(), topic, partitions);
    }

    public String bootstrap() {
        return bootstrap;
    }

    /** The key parameter records are signed with, or null when they are not signed. */
    public SigningKey signingKey() {
        return signingKey;
    }
}
