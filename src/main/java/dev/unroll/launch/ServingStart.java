package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaTopics;
import dev.unroll.kafka.ParametersTopic;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.stream.ModelLayout;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;

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
        String topic = config.get(JobConfig.PARAMETERS_TOPIC);
        // made here when training has not yet: serving follows it from the start
        ModelLayout layout = ModelLayout.of(config);
        KafkaTopics.ensure(kafka.producerProperties(), topic, 1, layout.compactsParameters());
        if (layout.servesFromTopicStart()) {
            return new ServingStart(initial, 0, OffsetsInitializer.earliest());
        }
        ParametersTopic.Newest newest = kafka.parametersTopic(topic, config.name(), initial, config.limits()).newest();
        if (newest == null) {
            return new ServingStart(initial, 0, OffsetsInitializer.earliest());
        }
        OffsetsInitializer after = OffsetsInitializer.offsets(Map.of(new TopicPartition(topic, 0), newest.end()));
        ParameterVersion v = newest.version();
        return v == null ? new ServingStart(initial, 0, after)
                : new ServingStart(initial.withParameters(v.parameters()), v.version, after);
    }
}
