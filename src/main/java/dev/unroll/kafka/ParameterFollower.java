package dev.unroll.kafka;

import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.stream.ParameterVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Follows a job's parameters topic from outside the job, as any consumer of the model would:
 * the commands use it for progress and for the final parameters. Keeps no consumer group.
 */
public final class ParameterFollower implements AutoCloseable {
    /** Pass as {@code sinceMillis} to start from the topic's last record, whenever it was written. */
    public static final long LAST_RECORD = -1;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String job;
    private final ParameterRecords records;
    private long newestVersion = -1;

    public ParameterFollower(Properties clientProperties, String topic, String job, Network structure, Limits limits,
                             long sinceMillis) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "latest");
        p.remove("group.id");
        this.consumer = new KafkaConsumer<>(p);
        this.job = job;
        this.records = new ParameterRecords(structure, limits);
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        if (sinceMillis == LAST_RECORD) {
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            consumer.seek(partition, Math.max(0, end - 1));
            return;
        }
        Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(Map.of(partition, sinceMillis));
        if (at.get(partition) != null) {
            consumer.seek(partition, at.get(partition).offset());
        } else {
            // an explicit offset: a lazy seekToEnd could skip a version published before the first poll
            consumer.seek(partition, consumer.endOffsets(List.of(partition)).get(partition));
        }
    }

    /** New versions of this job, in order, skipping any it has returned before. */
    public List<ParameterVersion> poll(Duration timeout) {
        List<ParameterVersion> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            ParameterVersion v;
            try {
                v = records.decode(record.value());
            } catch (RuntimeException e) {
                continue;
            }
            if (job.equals(v.job) && (v.version > newestVersion || v.last)) {
                newestVersion = Math.max(newestVersion, v.version);
                out.add(v);
            }
        }
        return out;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
