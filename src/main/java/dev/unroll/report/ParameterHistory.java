package dev.unroll.report;

import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.VersionLog;
import java.time.Duration;
import dev.unroll.task.Evaluation;

import java.util.List;
import java.util.TreeMap;
import dev.unroll.model.KeyedNetwork;

/**
 * Rebuilds a run's {@link History} from a parameters topic, the model's version log: every
 * version's loss and, given held-out sequences, its accuracy on them.
 *
 * <p>The topic is written at-least-once, so a version can appear more than once; the later record
 * of a version wins. Records of other jobs, records that do not decode against the job's
 * network and, with a signing key, records whose signature fails are skipped (and counted). With per-key models each key's versions are records with the
 * key as the record key; given a key, only that key's history is read.
 */
public final class ParameterHistory {
    /** What was read: the history and how many records were passed over. */
    public record Result(History history, long records, long skipped) {
    }

    private ParameterHistory() {
    }

    /**
     * Reads the history of one key's model (per-key models), or of the job's one model when
     * {@code key} is null, from the topic's beginning to its end at call time; records of other
     * keys count as skipped.
     *
     * @param initial the job's network: the structure every record must have, and version 0
     * @param heldOut sequences to score every {@code every}-th version (and the newest) on; null for none
     */
    public static Result read(VersionLog topic, String key, Network initial, List<Sequence> heldOut, int every,
                              Duration timeout) {
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1, found " + every);
        }
        VersionLog.History read = topic.history(key, false, timeout);
        TreeMap<Long, ParameterVersion> versions = new TreeMap<>();
        read.versions().forEach(v -> versions.put(v.version, v));
        History history = new History();
        if (versions.isEmpty()) {
            return new Result(history, read.records(), read.skipped());
        }
        long firstPublished = versions.values().stream().mapToLong(v -> v.publishedAt).min().orElse(0);
        if (versions.firstKey() == 1) {
            // the run's start is on the topic: version 0 is the job's network
            double accuracy = heldOut == null ? Double.NaN : accuracy(initial, heldOut);
            history.add(new History.Point(0, 0, Double.NaN, accuracy, Double.NaN));
        }
        long newest = versions.lastKey();
        for (ParameterVersion v : versions.values()) {
            boolean score = heldOut != null && (v.version % every == 0 || v.version == newest);
            double accuracy = score ? accuracy(initial.withParameters(v.parameters()), heldOut) : Double.NaN;
            double seconds = v.publishedAt > 0 && firstPublished > 0 ? (v.publishedAt - firstPublished) / 1000.0 : Double.NaN;
            history.add(new History.Point(v.version, v.sequencesTrained, v.batchLoss, accuracy, seconds, v.windowLoss,
                    v.windowAccuracy));
        }
        return new Result(history, read.records(), read.skipped());
    }

    /** The newest models of per-key training, and how many records were read and passed over. */
    public record Keyed(List<KeyedNetwork> models, long records, long skipped) {
    }

    /**
     * The newest version of every key on a parameters topic of per-key models (each key's versions
     * are records keyed by the key): what the compacted topic keeps, and what a per-key file holds.
     * Records of other jobs, without a record key, that do not decode or whose signature fails are skipped (and counted).
     */
    public static Keyed newestPerKey(VersionLog topic, Network initial, Duration timeout) {
        VersionLog.History read = topic.history(null, true, timeout);
        NewestPerKey newest = new NewestPerKey();
        read.versions().forEach(newest::add);
        return new Keyed(newest.entries(initial), read.records(), read.skipped());
    }

    /** The fraction of sequences with every binary target right. */
    public static double accuracy(Network net, List<Sequence> heldOut) {
        return Evaluation.of(net, heldOut, 0).fractionSequencesAllRight();
    }
}
