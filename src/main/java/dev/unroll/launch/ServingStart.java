package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.model.Network;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/**
 * Where a prediction path on its own ({@code serve}, or a cluster's {@code --mode serve}) starts
 * on the parameters topic, and what it answers with until a version arrives. One model: the
 * newest version on the topic now (read here, so the first requests get it too), then every later
 * one from that offset. Per-key models: every key's newest version, from the start of the
 * compacted topic, where each key's newest stays; a key with none is answered with the job's network.
 *
 * @param network      what answers until a newer version arrives
 * @param version      its version number (0: the job's network)
 * @param versionsFrom where to follow the parameters topic from
 */
public record ServingStart(Network network, long version, OffsetsInitializer versionsFrom) {
    public static ServingStart fromTopic(JobConfig config, Network initial, KafkaConnectors kafka) {
        if (config.perKey()) {
            return new ServingStart(initial, 0, OffsetsInitializer.earliest());
        }
        ServingTopics.Start start = ServingTopics.of(config).newestVersion(kafka.consumerProperties(), config.name(),
                initial, config.limits(), kafka.signingKey());
        return new ServingStart(start.network(initial), start.version(), start.versionsFrom());
    }
}
