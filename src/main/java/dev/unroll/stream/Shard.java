package dev.unroll.stream;

/**
 * One BPTT instance's share of batch {@code batch}: a run of the batch's chunks (see
 * GradientSum), its items in chunk order. Every batch is cut into {@code shards} shards and every
 * shard is sent, even an empty one, so the aggregator can count to a barrier. Shard s goes to
 * BPTT instance s.
 */
public class Shard {
    public long batch;
    public int shard;
    public int shards;
    /** true for the batch that ends a bounded input; it may hold no sequences */
    public boolean last;
    /** the batch's chunk this shard's first chunk is: 0 for the shard that begins the batch's sum */
    public int firstChunk;
    /** the number of items of each of this shard's chunks, in order */
    public int[] chunkSizes;
    public SequenceItem[] items;

    public Shard() {
    }

    public Shard(long batch, int shard, int shards, boolean last, int firstChunk, int[] chunkSizes, SequenceItem[] items) {
        this.batch = batch;
        this.shard = shard;
        this.shards = shards;
        this.last = last;
        this.firstChunk = firstChunk;
        this.chunkSizes = chunkSizes;
        this.items = items;
    }
}
