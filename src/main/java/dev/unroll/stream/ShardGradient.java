package dev.unroll.stream;

import dev.unroll.model.Gradients;
import dev.unroll.record.SourceRanges;

/**
 * A shard's gradient sum, tagged with the batch and the parameter version it was taken at; or a
 * BPTT instance's announcement that it has started (see BpttShard).
 */
public class ShardGradient {
    /** true for an announcement, which carries no gradient */
    public boolean announcement;
    /** when BPTT emitted it, in wall-clock microseconds (see LoopTrace) */
    public long emittedMicros;
    public long batch;
    public int shard;
    public int shards;
    public long version;
    public boolean last;
    public long count;
    public double loss;
    /** binary target values and the ones right (prequential accuracy) */
    public long binaryTargets;
    public long binaryRight;
    public double[] weights;
    public double[] biases;
    public double[] initialState;
    /** the records this shard held (for the version's provenance) */
    public SourceRanges source;

    public ShardGradient() {
    }

    public ShardGradient(Shard shard, long version, Gradients g) {
        this.batch = shard.batch;
        this.shard = shard.shard;
        this.shards = shard.shards;
        this.last = shard.last;
        this.version = version;
        this.count = g.count;
        this.loss = g.loss;
        this.binaryTargets = g.binaryTargets;
        this.binaryRight = g.binaryRight;
        this.weights = g.weights;
        this.biases = g.biases;
        this.initialState = g.initialState;
    }

    /** BPTT instance {@code instance} has started and may need the aggregator's recent versions. */
    public static ShardGradient announcement(int instance) {
        ShardGradient g = new ShardGradient();
        g.announcement = true;
        g.shard = instance;
        g.batch = -1;
        return g;
    }

    public Gradients gradients() {
        Gradients g = new Gradients(biases.length, weights, biases, initialState, loss, count);
        g.binaryTargets = binaryTargets;
        g.binaryRight = binaryRight;
        return g;
    }
}
