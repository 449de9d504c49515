package dev.unroll.stream;

/**
 * One BPTT instance's share of batch {@code batch}. Every batch is cut into {@code shards}
 * shards and every shard is sent, even an empty one, so the aggregator can count to a barrier.
 * Shard s goes to BPTT instance s.
 */
public class Shard {
    public long batch;
    public int shard;
    public int shards;
    /** true for the batch that ends a bounded input; it may hold no sequences */
    public boolean last;
    public SequenceItem[] items;

    public Shard() {
    }

    public Shard(long batch, int shard, int shards, boolean last, SequenceItem[] items) {
        this.batch = batch;
        this.shard = shard;
        this.shards = shards;
        this.last = last;
        this.items = items;
    }
}
