package dev.unroll.stream;

/**
 * One BPTT instance's share of batch {@code batch}. Every batch is cut into {@code shards}
 * shards and every shard is sent, even an empty one, so the aggregator can count to a barrier.
 */
public class Shard {
    public long batch;
    public int shard;
    public int shards;
    /** the key that routes this shard to BPTT instance {@code shard} (see ShardKeys) */
    public int key;
    /** true for the batch that ends a bounded input; it may hold no sequences */
    public boolean last;
    public SequenceItem[] items;

    public Shard() {
    }

    public Shard(long batch, int shard, int shards, int key, boolean last, SequenceItem[] items) {
        this.batch = batch;
        this.shard = shard;
        this.shards = shards;
        this.key = key;
        this.last = last;
        this.items = items;
    }
}
