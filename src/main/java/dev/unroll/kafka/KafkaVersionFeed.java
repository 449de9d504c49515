package dev.unroll.kafka;

import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;

import java.time.Duration;
import java.util.List;
import java.util.Properties;

/** The parameters topic as the BPTT instances' version feed: each instance reads it with its own consumer. */
public final class KafkaVersionFeed implements VersionFeed {
    private final Properties clientProperties;
    private final String topic;

    public KafkaVersionFeed(Properties clientProperties, String topic) {
        this.clientProperties = clientProperties;
        this.topic = topic;
    }

    @Override
    public Reader open(TrainingSpec spec) {
        ParameterTopicReader reader = new ParameterTopicReader(clientProperties, topic, spec.job(), spec.network(),
                spec.limits(), ParameterTopicReader.END);
        return new Reader() {
            @Override
            public List<ParameterVersion> poll(Duration timeout) {
                return reader.poll(timeout);
            }

            @Override
            public void close() {
                reader.close();
            }
        };
    }
}
