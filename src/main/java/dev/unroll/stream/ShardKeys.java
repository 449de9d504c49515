package dev.unroll.stream;

import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Keys that send shard s of every batch to BPTT instance s. Hashing the shard numbers
 * themselves could put two shards on one instance and none on another; these keys are
 * chosen so each lands in a key group owned by a different instance.
 */
public final class ShardKeys {
    /** Fixed so the key-to-instance mapping never depends on Flink's default. */
    public static final int MAX_PARALLELISM = 128;

    private ShardKeys() {
    }

    public static int[] forShards(int shards) {
        if (shards < 1 || shards > MAX_PARALLELISM) {
            throw new IllegalArgumentException("parallelism must be in 1.." + MAX_PARALLELISM + ", found " + shards);
        }
        int[] keys = new int[shards];
        boolean[] found = new boolean[shards];
        int remaining = shards;
        for (int candidate = 0; remaining > 0; candidate++) {
            int instance = KeyGroupRangeAssignment.assignKeyToParallelOperator(candidate, MAX_PARALLELISM, shards);
            if (!found[instance]) {
                found[instance] = true;
                keys[instance] = candidate;
                remaining--;
            }
        }
        return keys;
    }
}
