package dev.unroll.stream;

/** A validated sequence in its compact binary form (SequenceCodec), with the coordinates it came from. */
public class SequenceItem {
    public String topic;
    public int partition;
    public long offset;
    public byte[] sequence;

    public SequenceItem() {
    }

    public SequenceItem(RawRecord from, byte[] sequence) {
        this.topic = from.topic;
        this.partition = from.partition;
        this.offset = from.offset;
        this.sequence = sequence;
    }
}
