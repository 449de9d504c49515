package dev.unroll.kafka;

import dev.unroll.job.JobConfig;
import dev.unroll.job.SigningKey;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The topics of the prediction path: it reads requests and parameters, writes predictions and dead letters. */
public record ServingTopics(String requests, String predictions, String parameters, String deadLetters) {
    /** How long to wait for the parameters topic's last record (a version is up to 16 MB). */
    private static final long READ_LAST_NANOS = 30_000_000_000L;

    public static ServingTopics of(JobConfig config) {
        return new ServingTopics(config.get(JobConfig.REQUESTS_TOPIC), config.get(JobConfig.PREDICTIONS_TOPIC),
                config.get(JobConfig.PARAMETERS_TOPIC), config.get(JobConfig.DEAD_LETTER_TOPIC));
    }

    /** Creates the requests and predictions topics ({@code partitions} each) when missing. */
    public void ensure(Properties clientProperties, int partitions) {
        KafkaTopics.ensure(clientProperties, requests, partitions);
        KafkaTopics.ensure(clientProperties, predictions, partitions);
    }

    /** {@link #ensure} and the dead-letter topic, for the prediction path on its own. */
    public void ensureAll(Properties clientProperties, int partitions) {
        ensure(clientProperties, partitions);
        KafkaTopics.ensure(clientProperties, deadLetters, 1);
    }

    /**
     * Where serving starts: the newest version on the parameters topic now (null when it holds
     * none of this job), read here so that the first requests get it too, and the offset to
     * follow the topic from for every later one.
     */
    public record Start(ParameterVersion newest, OffsetsInitializer versionsFrom) {
        /** The network to serve first: the newest version's, or the job's. */
        public Network network(Network initial) {
            return newest == null ? initial : initial.withParameters(newest.parameters());
        }

        /** Its version number: 0 is the job's network. */
        public long version() {
            return newest == null ? 0 : newest.version;
        }
    }

    /** @param signingKey null when parameter records are not signed; else the newest of those whose signature holds */
    public Start newestVersion(Properties clientProperties, String job, Network structure, Limits limits,
                               SigningKey signingKey) {
        KafkaTopics.ensure(clientProperties, parameters, 1);
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.remove("group.id");
        TopicPartition partition = new TopicPartition(parameters, 0);
        long end;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            end = consumer.endOffsets(List.of(partition)).get(partition);
        }
        ParameterVersion newest = null;
        if (end > 0) {
            try (ParameterFollower last = new ParameterFollower(clientProperties, parameters, job, structure, limits,
                    ParameterFollower.LAST_RECORD, signingKey)) {
                long deadline = System.nanoTime() + READ_LAST_NANOS;
                while (newest == null && System.nanoTime() < deadline) {
                    List<ParameterVersion> got = last.poll(Duration.ofMillis(200));
                    newest = got.isEmpty() ? null : got.get(got.size() - 1);
                }
            }
        }
        return new Start(newest, OffsetsInitializer.offsets(Map.of(partition, end)));
    }
}
