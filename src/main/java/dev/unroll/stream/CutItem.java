package dev.unroll.stream;

import dev.unroll.events.Cut;
import dev.unroll.format.SequenceCodec;

import java.util.Comparator;

/**
 * A sequence cut from a key's events (an events input's {@link Cut}) on its way to be put in
 * training order: the sequence in its compact binary form, with what orders it and where its
 * last event was read.
 */
public class CutItem {
    static final Comparator<CutItem> ORDER = Comparator.comparingLong((CutItem c) -> c.closes)
            .thenComparing(c -> c.key).thenComparingLong(c -> c.index);

    public String key;
    public long index;
    public long closes;
    public byte[] sequence;
    public String topic;
    public int partition;
    public long offset;

    public CutItem() {
    }

    CutItem(Cut cut, String topic) {
        this.key = cut.key();
        this.index = cut.index();
        this.closes = cut.closes();
        this.sequence = SequenceCodec.encode(cut.sequence());
        this.topic = topic;
        this.partition = cut.last().partition;
        this.offset = cut.last().offset;
    }

    /** The sequence to train, at {@code position} in training order (-1 where order is kept per key). */
    SequenceItem item(long position) {
        SequenceItem item = new SequenceItem();
        item.topic = topic;
        item.partition = partition;
        item.offset = offset;
        item.position = position;
        item.sequence = sequence;
        item.key = key;
        return item;
    }
}
