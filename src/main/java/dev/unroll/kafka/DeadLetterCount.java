package dev.unroll.kafka;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.LongSupplier;

/**
 * How many records a running job has dead-lettered, for a progress line: the growth of the
 * dead-letter topic's end offsets since this counter was made (records of earlier runs are not
 * counted). It asks the broker at most once a second and reads no records.
 */
public final class DeadLetterCount implements AutoCloseable {
    private static final long REFRESH_NANOS = 1_000_000_000L;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(1);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final LongSupplier clock;
    private final long baseline;
    private long count;
    private long askedAt;

    public DeadLetterCount(Properties clientProperties, String topic) {
        this(clientProperties, topic, System::nanoTime);
    }

    /** With a clock in nanoseconds, for tests. */
    DeadLetterCount(Properties clientProperties, String topic, LongSupplier clock) {
        this.consumer = new KafkaConsumer<>(KafkaClients.lookingConsumerProps(clientProperties));
        this.topic = topic;
        this.clock = clock;
        this.baseline = Math.max(0, endOffsets());
        this.askedAt = clock.getAsLong();
    }

    /** Dead letters since this counter was made, as of the last answer (at most a second old while the broker answers). */
    public long count() {
        return clock.getAsLong() - askedAt >= REFRESH_NANOS ? countNow() : count;
    }

    /** The same, asking the broker now: for the last line of a run. */
    public long countNow() {
        askedAt = clock.getAsLong();
        long end = endOffsets();
        if (end >= 0) {
            count = Math.max(count, end - baseline);
        }
        return count;
    }

    /** The sum of the topic's end offsets, or -1 when the broker does not answer in time. */
    private long endOffsets() {
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, ASK_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return 0;
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            return consumer.endOffsets(partitions, ASK_TIMEOUT).values().stream().mapToLong(Long::longValue).sum();
        } catch (KafkaException e) {
            // a progress line must not stop the job's follower: keep the last count
            return -1;
        }
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ZERO));
    }
}
