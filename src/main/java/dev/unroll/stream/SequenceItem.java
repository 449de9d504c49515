package dev.unroll.stream;

import dev.unroll.record.RawRecord;

/** A validated sequence in its compact binary form (SequenceCodec), with the coordinates it came from. */
public class SequenceItem {
    public String topic;
    public int partition;
    public long offset;
    public byte[] sequence;
    /** with per-key models, the model it trains (the sequence's key, else its record's key); null otherwise */
    public String key;

    public SequenceItem() {
    }

    public SequenceItem(RawRecord from, byte[] sequence) {
        this.topic = from.topic;
        this.partition = from.partition;
        this.offset = from.offset;
        this.sequence = sequence;
    }

    /** An item without a sequence, sent once when the input begins. */
    static SequenceItem startMarker(RawRecord first) {
        return new SequenceItem(first, null);
    }

    boolean isStartMarker() {
        return sequence == null;
    }
}
