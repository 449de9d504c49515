package dev.unroll.report;

import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.stream.ParameterVersion;
import dev.unroll.task.Evaluation;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Rebuilds a run's {@link History} from a parameters topic, the model's version log: every
 * version's loss and, given held-out sequences, its accuracy on them.
 *
 * <p>The topic is written at-least-once, so a version can appear more than once; the later record
 * of a version wins. Records of other jobs and records that do not decode against the job's
 * network are skipped (and counted).
 */
public final class ParameterHistory {
    /** What was read: the history and how many records were passed over. */
    public record Result(History history, long records, long skipped) {
    }

    private ParameterHistory() {
    }

    /**
     * Reads {@code topic} from its beginning to its end at call time.
     *
     * @param consumerProperties bootstrap servers and any client settings; no group is used
     * @param initial            the job's network: the structure every record must have, and version 0
     * @param heldOut            sequences to score every {@code every}-th version (and the newest) on; null for none
     */
    public static Result read(Properties consumerProperties, String topic, String job, Network initial, Limits limits,
                              List<Sequence> heldOut, int every, Duration timeout) {
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1, found " + every);
        }
        TreeMap<Long, ParameterVersion> versions = new TreeMap<>();
        long records = 0;
        long skipped = 0;
        for (ConsumerRecord<byte[], byte[]> r : readAll(consumerProperties, topic, timeout)) {
            records++;
            ParameterVersion v;
            try {
                v = ParameterRecords.decode(r.value(), initial, limits);
            } catch (RuntimeException e) {
                skipped++;
                continue;
            }
            if (!job.equals(v.job)) {
                skipped++;
                continue;
            }
            versions.put(v.version, v);
        }
        History history = new History();
        if (versions.isEmpty()) {
            return new Result(history, records, skipped);
        }
        long firstPublished = versions.values().stream().mapToLong(v -> v.publishedAt).min().orElse(0);
        if (versions.firstKey() == 1) {
            // the run's start is on the topic: version 0 is the job's network
            double accuracy = heldOut == null ? Double.NaN : accuracy(initial, heldOut);
            history.add(new History.Point(0, 0, Double.NaN, accuracy, Double.NaN));
        }
        long newest = versions.lastKey();
        for (ParameterVersion v : versions.values()) {
            boolean score = heldOut != null && (v.version % every == 0 || v.version == newest);
            double accuracy = score ? accuracy(initial.withParameters(v.parameters()), heldOut) : Double.NaN;
            double seconds = v.publishedAt > 0 && firstPublished > 0 ? (v.publishedAt - firstPublished) / 1000.0 : Double.NaN;
            history.add(new History.Point(v.version, v.sequencesTrained, v.batchLoss, accuracy, seconds));
        }
        return new Result(history, records, skipped);
    }

    /** The fraction of sequences with every binary target right. */
    public static double accuracy(Network net, List<Sequence> heldOut) {
        return Evaluation.of(net, heldOut, 0).fractionSequencesAllRight();
    }

    /** Every record of every partition up to the end offsets at call time, partition by partition. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(Properties consumerProperties, String topic, Duration timeout) {
        Properties p = new Properties();
        p.putAll(consumerProperties);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        long deadline = System.nanoTime() + timeout.toNanos();
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                    .sorted((a, b) -> Integer.compare(a.partition(), b.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, remaining(deadline));
            Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
            while (!reached(consumer, end, deadline)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(remaining(deadline))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
                    }
                }
            }
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            byPartition.values().forEach(all::addAll);
            return all;
        } finally {
            // nothing to commit; a plain close waits for the prefetch
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
