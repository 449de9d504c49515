package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.JobRunner.Mode;
import dev.unroll.stream.ServingJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The entry point of the job jar ({@code target/unroll-job.jar}) for a real Flink cluster:
 * {@code flink run [-p P] unroll-job.jar --job JOB.yaml --bootstrap-servers HOST:PORT [--parallelism P] [--mode all|train|serve]}.
 * The job file and its network are read here, on the client, and travel inside the job graph.
 * {@code --mode all} (the default) trains and answers requests, as {@code run} does;
 * {@code --mode train} only trains and {@code --mode serve} only answers ({@link ServingJob}), so
 * that serving scales apart from training (its P is the number of prediction instances). Run
 * one {@code train} and one {@code serve} job rather than two that both answer requests.
 */
@Command(name = "unroll-job", description = "Submits an Unroll job to the Flink cluster the client runs against.")
public final class ClusterJob {
    @Option(names = "--job", required = true, description = "the job file (YAML), read on the client")
    Path job;

    @Option(names = "--bootstrap-servers", required = true, description = "the Kafka brokers, HOST:PORT[,...]")
    String bootstrap;

    @Option(names = "--parallelism", description = "parallel instances (default: the job's stream.parallelism)")
    Integer parallelism;

    @Option(names = "--mode", description = "all (train and answer requests), train or serve (default ${DEFAULT-VALUE})")
    Mode mode = Mode.all;

    private ClusterJob() {
    }

    /** @throws picocli.CommandLine.ParameterException naming the bad option, which Flink's client shows */
    public static void main(String[] args) throws Exception {
        parse(args).submit(StreamExecutionEnvironment.getExecutionEnvironment());
    }

    /**
     * The options of a submission, checked as {@link #main} checks them (a deployment's arguments, say).
     *
     * @throws picocli.CommandLine.ParameterException naming the bad option
     */
    public static ClusterJob parse(String... args) {
        return CommandLine.populateCommand(new ClusterJob(), args);
    }

    private void submit(StreamExecutionEnvironment env) throws Exception {
        JobConfig config = JobConfig.read(job);
        JobRunner.define(env, config, config.loadNetwork(), KafkaConnectors.of(bootstrap, config), mode, parallelism);
        env.execute((mode == Mode.serve ? "unroll serve " : "unroll ") + config.name());
    }
}
