package dev.unroll.stream;

import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.flink.api.common.accumulators.Histogram;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where one update's round trip goes, hop by hop, recorded by the operators as Flink accumulators
 * (histograms of 10-microsecond buckets) and summarised by the commands that run the job:
 * BPTT of a shard, the shard sum's hop to the aggregator, the update, and the version's way
 * back to a BPTT instance (in memory beside the aggregator, else publish, broker, fetch and
 * decode); how long BPTT instances waited for a version, and how many versions came each way.
 * Times cross operators as wall-clock microseconds, so the hops are exact on one machine and as
 * good as the clocks' agreement across machines.
 */
public final class LoopTrace {
    static final String BPTT = "trace.bpttMicros";
    static final String TO_AGGREGATOR = "trace.toAggregatorMicros";
    static final String UPDATE = "trace.updateMicros";
    static final String BACK_TO_BPTT = "trace.backToBpttMicros";
    static final String WAIT = "trace.waitMicros";
    /** versions BPTT instances took from the aggregator in memory, and read back from the topic */
    static final String IN_PROCESS = "trace.versionsInProcess";
    static final String FROM_TOPIC = "trace.versionsFromTopic";
    private static final int BUCKET_MICROS = 10;
    private static final List<String[]> HOPS = List.of(
            new String[] {BPTT, "BPTT of a shard"},
            new String[] {TO_AGGREGATOR, "shard sum to the aggregator (Flink)"},
            new String[] {UPDATE, "update, hand-off to the board and the Kafka producer"},
            new String[] {BACK_TO_BPTT, "version back to a BPTT instance (memory or Kafka)"},
            new String[] {WAIT, "a BPTT instance's wait for its version, per shard"});

    private LoopTrace() {
    }

    /** Wall-clock time in microseconds. */
    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    static void add(Histogram histogram, long micros) {
        histogram.add((int) Math.min(Integer.MAX_VALUE, Math.max(0, micros) / BUCKET_MICROS));
    }

    /** One line per hop with its median and 90th percentile, from the job's accumulators; none when there are none. */
    public static List<String> summary(Map<String, Object> accumulators) {
        List<String> lines = new ArrayList<>();
        for (String[] hop : HOPS) {
            if (!(accumulators.get(hop[0]) instanceof Map<?, ?> buckets) || buckets.isEmpty()) {
                continue;
            }
            List<Double> values = new ArrayList<>();
            buckets.forEach((bucket, count) -> {
                for (int k = 0; k < ((Number) count).intValue(); k++) {
                    values.add(((Number) bucket).doubleValue() * BUCKET_MICROS / 1000.0);
                }
            });
            double[] ms = values.stream().mapToDouble(Double::doubleValue).toArray();
            Percentile p = new Percentile();
            lines.add(String.format(Locale.ROOT, "%-50s p50 %7.2f ms, p90 %7.2f ms (%d)", hop[1], p.evaluate(ms, 50),
                    p.evaluate(ms, 90), ms.length));
        }
        if (accumulators.get(IN_PROCESS) instanceof Long inProcess && accumulators.get(FROM_TOPIC) instanceof Long fromTopic) {
            lines.add(String.format(Locale.ROOT, "versions taken by BPTT instances: %d in memory, %d from the topic",
                    inProcess, fromTopic));
        }
        return lines;
    }
}
