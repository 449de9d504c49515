package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaConnectors;
import dev.unroll.model.Network;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;

/**
 * The entry point of the job jar ({@code target/unroll-job.jar}) for a real Flink cluster:
 * {@code flink run [-p P] unroll-job.jar --job JOB.yaml --bootstrap-servers HOST:PORT [--parallelism P]}.
 * The job file and its network are read here, on the client, and travel inside the job graph.
 */
public final class ClusterJob {
    private ClusterJob() {
    }

    public static void main(String[] args) throws Exception {
        Path job = null;
        String bootstrap = null;
        Integer parallelism = null;
        for (int k = 0; k + 1 < args.length; k += 2) {
            switch (args[k]) {
                case "--job" -> job = Path.of(args[k + 1]);
                case "--bootstrap-servers" -> bootstrap = args[k + 1];
                case "--parallelism" -> parallelism = Integer.parseInt(args[k + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[k]);
            }
        }
        if (job == null || bootstrap == null || args.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "usage: --job JOB.yaml --bootstrap-servers HOST:PORT [--parallelism P]");
        }
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        int p = parallelism != null ? parallelism : config.get(JobConfig.PARALLELISM);
        TrainingSpec spec = TrainingSpec.of(config, initial, p);
        KafkaConnectors kafka = new KafkaConnectors(bootstrap, config.kafka());
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        Pipeline.ensureTopics(kafka, topics, config.get(JobConfig.PARTITIONS));
        Pipeline.define(env, spec, kafka, topics, Pipeline.Options.live(config));
        env.execute("unroll " + spec.job());
    }
}
