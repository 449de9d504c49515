package dev.unroll.events;

import java.util.Comparator;

/**
 * One reading of one key at one event time, with the numbers the job takes from it: the input
 * fields (clamped on the network's input units) and the target fields (the next value to
 * forecast, or a label), already normalised. A plain class with public fields so that Flink keeps
 * it in state with its POJO serializer.
 */
public class Event {
    /** Events of a key in the order they are cut: event time, then where they were read, as a file's line order. */
    public static final Comparator<Event> ORDER = Comparator.comparingLong((Event e) -> e.time)
            .thenComparingInt(e -> e.partition).thenComparingLong(e -> e.offset);

    public String key;
    /** event time, milliseconds since the epoch */
    public long time;
    /** where it was read (the Kafka partition; 0 for a file) */
    public int partition;
    /** its offset in that partition (for a file, its line number less one) */
    public long offset;
    public double[] inputs;
    public double[] targets;
    /** the record as it arrived, while the event may still be dead-lettered as late; null once released */
    public byte[] raw;

    public Event() {
    }

    public Event(String key, long time, int partition, long offset, double[] inputs, double[] targets) {
        this.key = key;
        this.time = time;
        this.partition = partition;
        this.offset = offset;
        this.inputs = inputs;
        this.targets = targets;
    }
}
