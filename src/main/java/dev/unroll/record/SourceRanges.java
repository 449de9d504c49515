package dev.unroll.record;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which records of the sequences topic went into a version: per partition, the first and last
 * offset read. Written {@code TOPIC p:first-last,...} in the {@code unroll.source} header of a
 * parameter record and in a parameters file's provenance, so the data can be read again.
 * A Flink POJO (public fields, no-argument constructor).
 */
public class SourceRanges {
    public String topic;
    /** partition, first offset, last offset; partitions ascending */
    public long[] ranges = new long[0];

    public SourceRanges() {
    }

    /** Adds one record's coordinates. */
    public void add(String recordTopic, int partition, long offset) {
        topic = recordTopic;
        for (int i = 0; i < ranges.length; i += 3) {
            if (ranges[i] == partition) {
                ranges[i + 1] = Math.min(ranges[i + 1], offset);
                ranges[i + 2] = Math.max(ranges[i + 2], offset);
                return;
            }
        }
        long[] grown = Arrays.copyOf(ranges, ranges.length + 3);
        grown[ranges.length] = partition;
        grown[ranges.length + 1] = offset;
        grown[ranges.length + 2] = offset;
        ranges = sorted(grown);
    }

    /** Both together (either may be null): what a version holds after the batch it adds. */
    public static SourceRanges merge(SourceRanges a, SourceRanges b) {
        SourceRanges m = new SourceRanges();
        for (SourceRanges s : new SourceRanges[] {a, b}) {
            if (s != null) {
                for (int i = 0; i < s.ranges.length; i += 3) {
                    m.add(s.topic, (int) s.ranges[i], s.ranges[i + 1]);
                    m.add(s.topic, (int) s.ranges[i], s.ranges[i + 2]);
                }
            }
        }
        return m.ranges.length == 0 ? (a != null ? a : b) : m;
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    private static long[] sorted(long[] r) {
        long[][] rows = new long[r.length / 3][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Arrays.copyOfRange(r, 3 * i, 3 * i + 3);
        }
        Arrays.sort(rows, (x, y) -> Long.compare(x[0], y[0]));
        long[] out = new long[r.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, 3 * i, 3);
        }
        return out;
    }

    /** {@code TOPIC p:first-last,...}, or an empty string when nothing was read. */
    @Override
    public String toString() {
        if (ranges.length == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder(topic).append(' ');
        for (int i = 0; i < ranges.length; i += 3) {
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%d:%d-%d", ranges[i], ranges[i + 1], ranges[i + 2]));
        }
        return b.toString();
    }

    /** Reads {@link #toString()}'s form back; null for null or empty text. */
    public static SourceRanges parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        int space = text.lastIndexOf(' ');
        SourceRanges s = new SourceRanges();
        for (String part : text.substring(space + 1).split(",")) {
            int colon = part.indexOf(':');
            int dash = part.indexOf('-', colon);
            int partition = Integer.parseInt(part.substring(0, colon));
            s.add(text.substring(0, space), partition, Long.parseLong(part.substring(colon + 1, dash)));
            s.add(text.substring(0, space), partition, Long.parseLong(part.substring(dash + 1)));
        }
        return s;
    }
}
