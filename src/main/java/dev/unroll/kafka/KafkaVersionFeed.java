package dev.unroll.kafka;

import dev.unroll.job.SigningKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;

import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * The parameters topic as the BPTT instances' version feed: each instance reads it with its own
 * consumer. With a signing key, a record whose signature fails comes as a
 * {@link ParameterVersion#refusal} (stage {@code bptt}).
 */
public final class KafkaVersionFeed implements VersionFeed {
    private final Properties clientProperties;
    private final String topic;
    private final SigningKey signingKey;

    /** @param signingKey null when records are not signed */
    public KafkaVersionFeed(Properties clientProperties, String topic, SigningKey signingKey) {
        this.clientProperties = clientProperties;
        this.topic = topic;
        this.signingKey = signingKey;
    }

    @Override
    public Reader open(TrainingSpec spec) {
        ParameterTopicReader reader = new ParameterTopicReader(clientProperties, topic, spec.job(), spec.network(),
                spec.limits(), ParameterTopicReader.END, signingKey, "bptt");
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
