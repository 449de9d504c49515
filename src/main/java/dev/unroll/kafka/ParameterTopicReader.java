package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.SourceRanges;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads one job's versions from its parameters topic (one partition) with a plain consumer: no
 * group, nothing committed. A record that is not a version of this job's network is skipped; with
 * a signing key, one whose signature fails is handed on as a {@link ParameterVersion#refusal}.
 */
final class ParameterTopicReader implements AutoCloseable {
    /** Start at the topic's last record, whenever it was written. */
    static final long LAST_RECORD = -1;
    /** Start at the topic's end: only what is published from now on. */
    static final long END = -2;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String job;
    private final ParameterRecords records;
    private final RefusedVersions refused;

    /**
     * @param since      a time in epoch milliseconds (the first record written then or later), or {@link #LAST_RECORD} or {@link #END}
     * @param signingKey null when records are not signed
     * @param stage      the stage of the dead letters its refusals become
     */
    ParameterTopicReader(Properties clientProperties, String topic, String job, Network structure, Limits limits,
                         long since, SigningKey signingKey, String stage) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "latest");
        p.remove("group.id");
        this.consumer = new KafkaConsumer<>(p);
        this.job = job;
        this.records = new ParameterRecords(structure, limits, signingKey);
        this.refused = new RefusedVersions(stage);
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        // explicit offsets: a lazy seekToEnd could skip a version published before the first poll
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        if (since == END) {
            consumer.seek(partition, end);
        } else if (since == LAST_RECORD) {
            consumer.seek(partition, Math.max(0, end - 1));
        } else {
            Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(Map.of(partition, since));
            consumer.seek(partition, at.get(partition) != null ? at.get(partition).offset() : end);
        }
    }

    /** The versions of this job read within {@code timeout}, in topic order, each with its epoch; and the refusals among them. */
    List<ParameterVersion> poll(Duration timeout) {
        List<ParameterVersion> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            ParameterVersion v;
            try {
                v = records.read(record);
            } catch (RefusedRecordException e) {
                out.add(refused.refuse(record, e));
                continue;
            } catch (RuntimeException e) {
                continue;
            }
            if (job.equals(v.job)) {
                v.epoch = header(record, ParameterRecords.EPOCH_HEADER);
                v.source = SourceRanges.parse(header(record, ParameterRecords.SOURCE_HEADER));
                String published = header(record, ParameterRecords.PUBLISHED_MICROS_HEADER);
                v.publishedMicros = published == null ? 0 : Long.parseLong(published);
                out.add(v);
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        // nothing to commit (no group); a plain close would wait up to fetch.max.wait.ms for a pending fetch
        consumer.close(CloseOptions.timeout(Duration.ZERO));
    }
}
