package dev.unroll.report;

import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.model.KeyedNetworks;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.stream.ParameterVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The newest model of every key on a parameters topic of per-key models, where each key's versions
 * are records keyed by the key: what the compacted topic keeps, and what a per-key file holds. Of
 * two records of one key and version (at-least-once), the later wins; records of other jobs, with
 * no record key, or that do not decode against the job's network are skipped (and counted).
 */
public final class NewestPerKey {
    /** The models in key order, and how many records were read and passed over. */
    public record Result(List<KeyedNetworks.Entry> models, long records, long skipped) {
    }

    private NewestPerKey() {
    }

    /** Reads {@code topic} from its beginning to its end at call time. */
    public static Result read(Properties consumerProperties, String topic, String job, Network initial, Limits limits,
                              Duration timeout) {
        TreeMap<String, ParameterVersion> newest = new TreeMap<>(KeyedNetworks.KEY_ORDER);
        ParameterRecords codec = new ParameterRecords(initial, limits);
        long records = 0;
        long skipped = 0;
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(consumerProperties, topic, timeout, true)) {
            records++;
            ParameterVersion v;
            try {
                v = r.key() == null ? null : codec.decode(r.value());
            } catch (RuntimeException e) {
                v = null;
            }
            if (v == null || !job.equals(v.job)) {
                skipped++;
                continue;
            }
            String key = new String(r.key(), StandardCharsets.UTF_8);
            ParameterVersion seen = newest.get(key);
            if (seen == null || v.version >= seen.version) {
                newest.put(key, v);
            }
        }
        List<KeyedNetworks.Entry> models = new ArrayList<>(newest.size());
        newest.forEach((key, v) -> models.add(new KeyedNetworks.Entry(key, v.version, v.sequencesTrained,
                initial.withParameters(v.parameters()))));
        return new Result(models, records, skipped);
    }
}
