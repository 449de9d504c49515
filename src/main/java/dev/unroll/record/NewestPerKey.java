package dev.unroll.record;

import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Network;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.unroll.model.KeyedNetwork;

/**
 * The newest version of each key among per-key parameter versions, as read back from the
 * parameters topic: the topic is at-least-once and a restarted job publishes some versions again
 * (equal, since a key's training is deterministic), so the highest version of a key wins.
 */
public final class NewestPerKey {
    private final Map<String, ParameterVersion> newest = new HashMap<>();

    public void add(ParameterVersion v) {
        if (v.key == null) {
            throw new IllegalArgumentException("version " + v.version + " of job " + v.job + " names no key");
        }
        newest.merge(v.key, v, (held, next) -> next.version > held.version ? next : held);
    }

    public int keys() {
        return newest.size();
    }

    public ParameterVersion get(String key) {
        return newest.get(key);
    }

    /** Sequences trained over all keys. */
    public long sequencesTrained() {
        return newest.values().stream().mapToLong(v -> v.sequencesTrained).sum();
    }

    /** Each key's newest model on {@code structure}, for the per-key parameters file (KeyedNetworks sorts them). */
    public List<KeyedNetwork> entries(Network structure) {
        List<KeyedNetwork> entries = new ArrayList<>(newest.size());
        newest.forEach((key, v) -> entries.add(
                new KeyedNetwork(key, v.version, v.sequencesTrained, structure.withParameters(v.parameters()))));
        entries.sort(java.util.Comparator.comparing(KeyedNetwork::key, KeyedNetwork.KEY_ORDER));
        return entries;
    }
}
