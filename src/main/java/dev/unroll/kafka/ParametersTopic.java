package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.VersionLog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A job's parameters topic as everything outside the job reads it: the newest version now (warm
 * starts, serving), the versions as they come (the commands), and the whole history (plots). One
 * partition; records of other jobs, of another structure, or whose signature fails are passed
 * over. With per-key models each key's versions are records keyed by the key.
 */
public final class ParametersTopic implements VersionLog {
    /** Records read back from the end of the topic to find the newest version of the job. */
    static final int NEWEST_WINDOW = 16;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Properties clientProperties;
    private final String topic;
    private final String job;
    private final Network structure;
    private final Limits limits;
    private final SigningKey signingKey;

    /**
     * @param clientProperties bootstrap servers and client settings; no group is used, nothing committed
     * @param structure        the network every version must have the structure of
     * @param signingKey       null when records are not signed
     */
    public ParametersTopic(Properties clientProperties, String topic, String job, Network structure, Limits limits,
                           SigningKey signingKey) {
        this.clientProperties = clientProperties;
        this.topic = topic;
        this.job = job;
        this.structure = structure;
        this.limits = limits;
        this.signingKey = signingKey;
    }

    public String name() {
        return topic;
    }

    /**
     * What the topic's end holds now: the newest version of the job among its last records (null when
     * none), why the newest record of the job could not be read (null when it could), and the offset
     * where versions published from now on will be.
     */
    public record Newest(ParameterVersion version, String problem, long end) {
    }

    /** @return null when the topic does not exist */
    public Newest newest() {
        ParameterRecords records = new ParameterRecords(structure, limits, signingKey);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(plainConsumer())) {
            if (consumer.partitionsFor(topic, TIMEOUT).isEmpty()) {
                return null;
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            consumer.seek(partition, Math.max(0, end - NEWEST_WINDOW));
            ParameterVersion newest = null;
            String problem = null;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        ParameterVersion v = records.read(record);
                        if (job.equals(v.job)) {
                            newest = v;
                            problem = null;
                        }
                    } catch (IllegalArgumentException e) {
                        problem = "offset " + record.offset() + ": " + e.getMessage();
                    }
                }
            }
            return new Newest(newest, problem, end);
        }
    }

    /**
     * The newest version of the job among the topic's last records, to start from.
     *
     * @throws ModelException naming the topic: it does not exist, its newest record of the job cannot be
     *                        read, or none of its last records is a version of the job
     */
    public ParameterVersion newestToStartFrom() {
        Newest newest = newest();
        String source = "topic " + topic;
        if (newest == null) {
            throw new ModelException(source, "", "no such topic on " + clientProperties.getProperty("bootstrap.servers"));
        }
        if (newest.problem() != null) {
            throw new ModelException(source, "", "the newest record cannot start job " + job + ": " + newest.problem());
        }
        if (newest.version() == null) {
            throw new ModelException(source, "", "no parameter version of job " + job + " in its last " + NEWEST_WINDOW
                    + " records");
        }
        return newest.version();
    }

    /**
     * Follows the versions published from {@code sinceMillis} on (epoch milliseconds), or from the
     * topic's last record with {@link ParameterFollower#LAST_RECORD}.
     */
    public ParameterFollower follow(long sinceMillis) {
        return new ParameterFollower(clientProperties, topic, job, structure, limits, sinceMillis, signingKey);
    }

    @Override
    public History history(String key, boolean keyed, Duration timeout) {
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        ParameterRecords records = new ParameterRecords(structure, limits, signingKey);
        List<ParameterVersion> versions = new ArrayList<>();
        long read = 0;
        long skipped = 0;
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(clientProperties, topic, timeout, true)) {
            read++;
            if ((keyBytes != null && !Arrays.equals(keyBytes, r.key())) || (keyed && r.key() == null)) {
                skipped++;
                continue;
            }
            ParameterVersion v;
            try {
                v = records.read(r);
            } catch (RuntimeException e) {
                skipped++;
                continue;
            }
            if (!job.equals(v.job)) {
                skipped++;
                continue;
            }
            if (keyed && v.key == null) {
                // a per-key version names its model by its record key, the key compaction keeps
                v.key = new String(r.key(), StandardCharsets.UTF_8);
            }
            versions.add(v);
        }
        return new History(versions, read, skipped);
    }

    private Properties plainConsumer() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("enable.auto.commit", "false");
        p.remove("group.id");
        return p;
    }
}
