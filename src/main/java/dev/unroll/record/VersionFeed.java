package dev.unroll.record;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Where a BPTT instance reads parameter versions: the aggregator's output as it comes back, in
 * publication order. The job graph takes it as an argument like its sources and sinks (the
 * parameters topic in production, see KafkaVersionFeed). Each instance reads it itself instead of
 * through a Flink broadcast input, so that it can wait for the version a batch needs inside
 * {@code processElement}: a one-input operator that waits holds back its input, and Flink's
 * backpressure then keeps the unread backlog in Kafka.
 */
public interface VersionFeed extends Serializable {

    /** A reader of the versions of {@code spec}'s job published from now on. */
    Reader open(TrainingSpec spec);

    /** One instance's reader. */
    interface Reader extends AutoCloseable {
        /**
         * The versions published since the last call, in order, waiting at most {@code timeout}
         * for the first. A record that is not a version of this job's network is skipped.
         */
        List<ParameterVersion> poll(Duration timeout);

        @Override
        void close();
    }
}
