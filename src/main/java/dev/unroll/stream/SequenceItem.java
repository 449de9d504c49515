package dev.unroll.stream;

import dev.unroll.record.RawRecord;

/**
 * A validated sequence in its compact binary form (SequenceCodec), with the coordinates it came
 * from and its place in the order the job read records; or, without a sequence, the place of a
 * record that was dead-lettered, so the batcher can put the records back in order.
 */
public class SequenceItem {
    public String topic;
    public int partition;
    public long offset;
    public long position;
    public byte[] sequence;
    /** with per-key models, the model it trains (the sequence's key, else its record's key); null otherwise */
    public String key;

    public SequenceItem() {
    }

    public SequenceItem(RawRecord from, byte[] sequence) {
        this.topic = from.topic;
        this.partition = from.partition;
        this.offset = from.offset;
        this.position = from.position;
        this.sequence = sequence;
    }

    /** The place of a record that was dead-lettered. */
    static SequenceItem rejected(RawRecord record) {
        return new SequenceItem(record, null);
    }

    boolean isRejected() {
        return sequence == null;
    }
}
