package dev.unroll.task;

import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import dev.unroll.model.KeyedNetwork;

/**
 * Per-key models scored on held-out sequences: each sequence by its own key's model, and the
 * figures of every key summed up over the keys (how many, and how their loss and accuracy are
 * spread). A key of the data with no model is scored with the job's network, the model a key has
 * before its first update; a model whose key has no held-out sequence is counted, not scored.
 */
public final class KeyedEvaluation {
    /** Percentiles reported for each figure's spread over keys. */
    private static final double[] PERCENTILES = {10, 50, 90};
    /** How many of the worst keys the summary names. */
    private static final int WORST = 5;

    /**
     * One key's figures.
     *
     * @param model null when the trained file has no model for the key (the job's network was used)
     */
    public record KeyScore(String key, KeyedNetwork model, Evaluation.Summary summary) {
        public boolean allRight() {
            return summary.sequencesAllRight() == summary.sequences();
        }
    }

    private final List<KeyScore> scores;
    private final int modelsWithoutData;

    private KeyedEvaluation(List<KeyScore> scores, int modelsWithoutData) {
        this.scores = scores;
        this.modelsWithoutData = modelsWithoutData;
    }

    /**
     * Scores every sequence of {@code data} with its key's model.
     *
     * @param jobNetwork the job's network, for keys without a trained model
     * @param source     the data file, for the error about a sequence without a key
     * @throws ModelException when a sequence names no key
     */
    public static KeyedEvaluation of(List<KeyedNetwork> models, Network jobNetwork, Iterable<Sequence> data,
                                     int stepsBeyond, String source) {
        Map<String, KeyedNetwork> byKey = new TreeMap<>(KeyedNetwork.KEY_ORDER);
        for (KeyedNetwork e : models) {
            byKey.put(e.key(), e);
        }
        Map<String, Evaluation.Summary> summaries = new TreeMap<>(KeyedNetwork.KEY_ORDER);
        long index = 0;
        for (Sequence seq : data) {
            if (seq.key() == null) {
                throw new ModelException(source, "sequence " + index + (seq.id() == null ? "" : " (" + seq.id() + ")"),
                        "has no key: with per-key models each sequence is scored by its key's model");
            }
            KeyedNetwork model = byKey.get(seq.key());
            Network net = model == null ? jobNetwork : model.network();
            summaries.computeIfAbsent(seq.key(), k -> new Evaluation.Summary(stepsBeyond))
                    .add(Evaluation.score(net, seq, stepsBeyond));
            index++;
        }
        List<KeyScore> scores = new ArrayList<>(summaries.size());
        summaries.forEach((key, summary) -> scores.add(new KeyScore(key, byKey.get(key), summary)));
        int unscored = 0;
        for (String key : byKey.keySet()) {
            unscored += summaries.containsKey(key) ? 0 : 1;
        }
        return new KeyedEvaluation(scores, unscored);
    }

    /** Every scored key, in key order. */
    public List<KeyScore> scores() {
        return scores;
    }

    /** The scored key {@code key}, or null. */
    public KeyScore score(String key) {
        for (KeyScore s : scores) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        return null;
    }

    /** Keys of the data that had no trained model. */
    public long keysWithoutModel() {
        return scores.stream().filter(s -> s.model() == null).count();
    }

    public int modelsWithoutData() {
        return modelsWithoutData;
    }

    public long keysAllRight() {
        return scores.stream().filter(KeyScore::allRight).count();
    }

    /** Each key's mean held-out loss, over the keys. */
    public DescriptiveStatistics meanLoss() {
        return spread(s -> s.summary().meanLoss());
    }

    /** Each key's fraction of held-out sequences with every binary target right, over the keys. */
    public DescriptiveStatistics fractionSequencesAllRight() {
        return spread(s -> s.summary().fractionSequencesAllRight());
    }

    private DescriptiveStatistics spread(ToDoubleFunction<KeyScore> figure) {
        DescriptiveStatistics d = new DescriptiveStatistics();
        for (KeyScore s : scores) {
            double v = figure.applyAsDouble(s);
            if (Double.isFinite(v)) {
                d.addValue(v);
            }
        }
        return d;
    }

    /** The figures over keys as plain JSON values. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keys", scores.size());
        m.put("sequences", scores.stream().mapToLong(s -> s.summary().sequences()).sum());
        m.put("keysAllRight", keysAllRight());
        m.put("fractionKeysAllRight", scores.isEmpty() ? null : (double) keysAllRight() / scores.size());
        m.put("keysWithoutModel", keysWithoutModel());
        m.put("modelsWithoutData", modelsWithoutData);
        m.put("meanLoss", spreadMap(meanLoss()));
        m.put("fractionSequencesAllRight", spreadMap(fractionSequencesAllRight()));
        List<Map<String, Object>> worst = new ArrayList<>();
        scores.stream()
                .filter(s -> Double.isFinite(s.summary().meanLoss()))
                .sorted(Comparator.comparingDouble((KeyScore s) -> s.summary().meanLoss()).reversed())
                .limit(WORST)
                .forEach(s -> worst.add(brief(s)));
        m.put("highestLoss", worst);
        return m;
    }

    /** The worst keys in a few figures each: enough to pick one to look at with {@code --key}. */
    private static Map<String, Object> brief(KeyScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", s.key());
        m.put("hasModel", s.model() != null);
        m.put("sequencesTrained", s.model() == null ? 0 : s.model().sequencesTrained());
        m.put("sequences", s.summary().sequences());
        m.put("meanLoss", s.summary().meanLoss());
        m.put("fractionSequencesAllRight", s.summary().fractionSequencesAllRight());
        return m;
    }

    /** One key's line: the key, its model's version and the usual figures of {@link Evaluation.Summary#toMap}. */
    public static Map<String, Object> keyLine(KeyScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", s.key());
        m.put("hasModel", s.model() != null);
        m.put("version", s.model() == null ? 0 : s.model().version());
        m.put("sequencesTrained", s.model() == null ? 0 : s.model().sequencesTrained());
        m.putAll(s.summary().toMap());
        return m;
    }

    private static Map<String, Object> spreadMap(DescriptiveStatistics d) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (d.getN() == 0) {
            return m;
        }
        m.put("mean", d.getMean());
        m.put("min", d.getMin());
        for (double p : PERCENTILES) {
            m.put("p" + (int) p, d.getPercentile(p));
        }
        m.put("max", d.getMax());
        return m;
    }
}
