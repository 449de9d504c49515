package dev.unroll.stream;

import dev.unroll.record.EventRecord;
import dev.unroll.record.RawRecord;
import org.apache.flink.api.connector.source.Source;

/** What a training job reads: sequences, one per record, or raw keyed events that it cuts into sequences. */
public sealed interface TrainingInput {
    /** Records that each hold a sequence (the {@code sequences} topic). */
    record Sequences(Source<RawRecord, ?, ?> source) implements TrainingInput {
    }

    /**
     * Event records read at the source ({@link ParseEvents}), so that each partition's watermark
     * follows its own event times.
     *
     * @param live an unbounded input, where a partition that falls idle must stop holding the watermark back
     */
    record Events(Source<EventRecord, ?, ?> source, boolean live) implements TrainingInput {
    }
}
