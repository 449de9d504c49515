package dev.unroll.report;

import dev.unroll.job.SigningKey;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.task.Evaluation;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
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
     * Reads {@code topic} from its beginning to its end at call time.
     *
     * @param consumerProperties bootstrap servers and any client settings; no group is used
     * @param initial            the job's network: the structure every record must have, and version 0
     * @param heldOut            sequences to score every {@code every}-th version (and the newest) on; null for none
     */
    public static Result read(Properties consumerProperties, String topic, String job, Network initial, Limits limits,
                              SigningKey signingKey, List<Sequence> heldOut, int every, Duration timeout) {
        return read(consumerProperties, topic, job, null, initial, limits, signingKey, heldOut, every, timeout);
    }

    /**
     * The history of one key's model (per-key models), or of the job's one model when {@code key} is
     * null; records of other keys count as skipped.
     */
    public static Result read(Properties consumerProperties, String topic, String job, String key, Network initial,
                              Limits limits, SigningKey signingKey, List<Sequence> heldOut, int every, Duration timeout) {
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1, found " + every);
        }
        TreeMap<Long, ParameterVersion> versions = new TreeMap<>();
        long records = 0;
        long skipped = 0;
        ParameterRecords codec = new ParameterRecords(initial, limits, signingKey);
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(consumerProperties, topic, timeout, true)) {
            records++;
            if (keyBytes != null && !Arrays.equals(keyBytes, r.key())) {
                skipped++;
                continue;
            }
            ParameterVersion v;
            try {
                v = codec.read(r);
            } catch (RuntimeException e) {
                skipped++;
                continue;
            }
            if (!job.equals(v.job)) {
                skipped++;
                continue;
            }
            versions.put(v.version, v);
        }
        History history = new History();
        if (versions.isEmpty()) {
            return new Result(history, records, skipped);
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
            history.add(new History.Point(v.version, v.sequencesTrained, v.batchLoss, accuracy, seconds));
        }
        return new Result(history, records, skipped);
    }

    /** The newest models of per-key training, and how many records were read and passed over. */
    public record Keyed(List<KeyedNetwork> models, long records, long skipped) {
    }

    /**
     * The newest version of every key on a parameters topic of per-key models (each key's versions
     * are records keyed by the key): what the compacted topic keeps, and what a per-key file holds.
     * Records of other jobs, without a record key, that do not decode or whose signature fails are skipped (and counted).
     */
    public static Keyed newestPerKey(Properties consumerProperties, String topic, String job, Network initial, Limits limits,
                                     SigningKey signingKey, Duration timeout) {
        NewestPerKey newest = new NewestPerKey();
        ParameterRecords codec = new ParameterRecords(initial, limits, signingKey);
        long records = 0;
        long skipped = 0;
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(consumerProperties, topic, timeout, true)) {
            records++;
            ParameterVersion v;
            try {
                v = r.key() == null ? null : codec.read(r);
            } catch (RuntimeException e) {
                v = null;
            }
            if (v == null || !job.equals(v.job)) {
                skipped++;
                continue;
            }
            v.key = new String(r.key(), StandardCharsets.UTF_8);
            newest.add(v);
        }
        return new Keyed(newest.entries(initial), records, skipped);
    }

    /** The fraction of sequences with every binary target right. */
    public static double accuracy(Network net, List<Sequence> heldOut) {
        return Evaluation.of(net, heldOut, 0).fractionSequencesAllRight();
    }
}
