package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.model.Network;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ServingJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.List;

/**
 * The entry point of the job jar ({@code target/unroll-job.jar}) for a real Flink cluster:
 * {@code flink run [-p P] unroll-job.jar --job JOB.yaml --bootstrap-servers HOST:PORT [--parallelism P] [--mode all|train|serve]}.
 * The job file and its network are read here, on the client, and travel inside the job graph.
 * {@code --mode all} (the default) trains and answers requests, as {@code run} does;
 * {@code --mode train} only trains and {@code --mode serve} only answers ({@link ServingJob}), so
 * that serving scales apart from training (its P is the number of prediction instances). Run
 * one {@code train} and one {@code serve} job rather than two that both answer requests.
 */
public final class ClusterJob {
    private ClusterJob() {
    }

    public static void main(String[] args) throws Exception {
        Path job = null;
        String bootstrap = null;
        Integer parallelism = null;
        String mode = "all";
        for (int k = 0; k + 1 < args.length; k += 2) {
            switch (args[k]) {
                case "--job" -> job = Path.of(args[k + 1]);
                case "--bootstrap-servers" -> bootstrap = args[k + 1];
                case "--parallelism" -> parallelism = Integer.parseInt(args[k + 1]);
                case "--mode" -> mode = args[k + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[k]);
            }
        }
        if (job == null || bootstrap == null || args.length % 2 != 0 || !List.of("all", "train", "serve").contains(mode)) {
            throw new IllegalArgumentException(
                    "usage: --job JOB.yaml --bootstrap-servers HOST:PORT [--parallelism P] [--mode all|train|serve]");
        }
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        int p = parallelism != null ? parallelism : config.get(JobConfig.PARALLELISM);
        TrainingSpec spec = TrainingSpec.of(config, initial, p);
        KafkaConnectors kafka = KafkaConnectors.of(bootstrap, config);
        if (mode.equals("serve")) {
            serve(env, config, initial, p, kafka);
            return;
        }
        Pipeline.Topics all = Pipeline.Topics.of(config);
        Pipeline.Topics topics = mode.equals("train") ? new Pipeline.Topics(all.sequences(), all.parameters(), all.deadLetters())
                : all;
        Pipeline.ensureTopics(kafka, topics, config.get(JobConfig.PARTITIONS), config.perKey());
        Pipeline.define(env, spec, kafka, topics, Pipeline.Options.live(config));
        env.execute("unroll " + spec.job());
    }

    /** The prediction path alone, from the newest version on the parameters topic when it starts. */
    private static void serve(StreamExecutionEnvironment env, JobConfig config, Network initial, int p,
                              KafkaConnectors kafka) throws Exception {
        long since = System.currentTimeMillis();
        ServingTopics topics = ServingTopics.of(config);
        ServingTopics.Start start = topics.newestVersion(kafka.consumerProperties(), config.name(), initial, config.limits(),
                kafka.signingKey());
        TrainingSpec spec = TrainingSpec.of(config, start.network(initial), p);
        topics.ensureAll(kafka.producerProperties(), config.get(JobConfig.PARTITIONS));
        env.setBufferTimeout(config.get(JobConfig.BUFFER_TIMEOUT));
        ServingJob.build(env, spec, kafka.serving(spec, topics, start.versionsFrom(), since, p),
                start.version());
        env.execute("unroll serve " + spec.job());
    }
}
