package dev.unroll.kafka;

import dev.unroll.job.JobConfig;


import java.util.Properties;

/** The topics of the prediction path: it reads requests and parameters, writes predictions and dead letters. */
public record ServingTopics(String requests, String predictions, String parameters, String deadLetters) {
    public static ServingTopics of(JobConfig config) {
        return new ServingTopics(config.get(JobConfig.REQUESTS_TOPIC), config.get(JobConfig.PREDICTIONS_TOPIC),
                config.get(JobConfig.PARAMETERS_TOPIC), config.get(JobConfig.DEAD_LETTER_TOPIC));
    }

    /** Creates the requests and predictions topics ({@code partitions} each) when missing. */
    public void ensure(Properties clientProperties, int partitions) {
        KafkaTopics.ensure(clientProperties, requests, partitions);
        KafkaTopics.ensure(clientProperties, predictions, partitions);
    }

    /** {@link #ensure} and the dead-letter topic, for the prediction path on its own. */
    public void ensureAll(Properties clientProperties, int partitions) {
        ensure(clientProperties, partitions);
        KafkaTopics.ensure(clientProperties, deadLetters, 1);
    }
}
