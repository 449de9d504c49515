package dev.unroll.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The offline reference of per-key models: one {@link Trainer} per sequence key, each fed that
 * key's sequences in the order given, so each key trains exactly as {@code train} alone on its
 * own sequences (its short last batch applied by {@link #finish}).
 */
public final class PerKeyTrainer {
    private final Supplier<Trainer> newTrainer;
    private final Map<String, Trainer> trainers = new HashMap<>();
    private long sequencesTrained;

    /** {@code newTrainer} makes a key's trainer, starting from the job's network, the first time the key is seen. */
    public PerKeyTrainer(Supplier<Trainer> newTrainer) {
        this.newTrainer = newTrainer;
    }

    /** @throws IllegalArgumentException when the sequence names no key */
    public void add(Sequence seq) {
        if (seq.key() == null) {
            throw new IllegalArgumentException("a sequence without a key cannot train a per-key model");
        }
        Trainer trainer = trainers.computeIfAbsent(seq.key(), k -> newTrainer.get());
        long before = trainer.sequencesTrained();
        trainer.add(seq);
        sequencesTrained += trainer.sequencesTrained() - before;
    }

    /** Applies every key's short last batch and returns each key's model, in key order. */
    public List<KeyedNetwork> finish() {
        List<KeyedNetwork> entries = new ArrayList<>(trainers.size());
        for (Map.Entry<String, Trainer> e : trainers.entrySet()) {
            Trainer t = e.getValue();
            Network net = t.finish();
            entries.add(new KeyedNetwork(e.getKey(), t.version(), t.sequencesTrained(), net));
        }
        entries.sort(java.util.Comparator.comparing(KeyedNetwork::key, KeyedNetwork.KEY_ORDER));
        sequencesTrained = entries.stream().mapToLong(KeyedNetwork::sequencesTrained).sum();
        return entries;
    }

    public int keys() {
        return trainers.size();
    }

    /** Sequences in applied updates so far, over all keys. */
    public long sequencesTrained() {
        return sequencesTrained;
    }

    /** Sequences left out because their gradient was not finite, over all keys. */
    public long leftOut() {
        return trainers.values().stream().mapToLong(t -> t.leftOut().size()).sum();
    }
}
