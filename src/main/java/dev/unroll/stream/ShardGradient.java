package dev.unroll.stream;

import dev.unroll.model.Gradients;
import dev.unroll.record.SourceRanges;

import java.util.ArrayList;
import java.util.List;

/**
 * A shard's gradient sums, tagged with the batch and the parameter version they were taken at;
 * or a BPTT instance's announcement that it has started (see BpttShard). The sums are the
 * shard's parts of the batch's sum in chunk order (see GradientSum): one sum per chunk, or, for
 * the shard that begins the batch, its chunks already added; part p is {@code weights[p]},
 * {@code biases[p]}, {@code initialState[p]}, {@code loss[p]}, {@code count[p]} and the binary
 * targets' counts.
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
    public long[] count;
    public double[] loss;
    /** binary target values and the ones right (prequential accuracy) */
    public long[] binaryTargets;
    public long[] binaryRight;
    public double[][] weights;
    public double[][] biases;
    public double[][] initialState;
    /** the records this shard held (for the version's provenance) */
    public SourceRanges source;

    public ShardGradient() {
    }

    public ShardGradient(Shard shard, long version, List<Gradients> parts) {
        this.batch = shard.batch;
        this.shard = shard.shard;
        this.shards = shard.shards;
        this.last = shard.last;
        this.version = version;
        int n = parts.size();
        count = new long[n];
        loss = new double[n];
        binaryTargets = new long[n];
        binaryRight = new long[n];
        weights = new double[n][];
        biases = new double[n][];
        initialState = new double[n][];
        for (int p = 0; p < n; p++) {
            Gradients g = parts.get(p);
            count[p] = g.count;
            loss[p] = g.loss;
            binaryTargets[p] = g.binaryTargets;
            binaryRight[p] = g.binaryRight;
            weights[p] = g.weights;
            biases[p] = g.biases;
            initialState[p] = g.initialState;
        }
    }

    /** BPTT instance {@code instance} has started and may need the aggregator's recent versions. */
    public static ShardGradient announcement(int instance) {
        ShardGradient g = new ShardGradient();
        g.announcement = true;
        g.shard = instance;
        g.batch = -1;
        return g;
    }

    public List<Gradients> parts() {
        List<Gradients> parts = new ArrayList<>(count.length);
        for (int p = 0; p < count.length; p++) {
            Gradients g = new Gradients(biases[p].length, weights[p], biases[p], initialState[p], loss[p], count[p]);
            g.binaryTargets = binaryTargets[p];
            g.binaryRight = binaryRight[p];
            parts.add(g);
        }
        return parts;
    }
}
