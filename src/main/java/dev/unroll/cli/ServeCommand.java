package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.Serving;
import dev.unroll.launch.StopSignal;
import dev.unroll.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Only the prediction path of a job, so serving can be scaled apart from training: requests in,
 * predictions out, with the newest version on the job's parameters topic (followed from its last
 * record) or with fixed parameters from a file.
 */
@Command(name = "serve", description = {
        "Answers the job's requests topic on its predictions topic, with the newest version on its parameters topic",
        "(or fixed --params). With no --bootstrap-servers it starts an embedded Kafka broker. Runs until Ctrl-C."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Mixin
    KafkaOption kafkaOption = new KafkaOption();

    @Option(names = "--params", description = "serve these parameters (network.json format) instead of following the parameters topic")
    Path params;

    @Option(names = "--parallelism", description = "instances of the prediction path (default: the job's stream.parallelism)")
    Integer parallelism;

    @Option(names = "--max-seconds", description = "stop after this many seconds")
    Long maxSeconds;

    @Option(names = "--quiet", description = "no messages on stderr")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        Serving.Parameters parameters = params == null ? new Serving.Parameters.FromTopic()
                : ModelCommands.of(config).fixed(config, initial, params);
        try (StopSignal stop = StopSignal.onShutdown("unroll-serve-stop", Duration.ofSeconds(30));
             Serving serving = Serving.start(config, initial, kafkaOption.where(null), parameters, parallelism)) {
            if (!quiet) {
                System.err.println("serve: job " + config.name() + " on " + (serving.embedded() ? "an embedded Kafka broker at "
                        : "Kafka at ") + serving.servers() + ", parallelism " + serving.parallelism());
                System.err.println("serve: requests in:     " + config.get(JobConfig.REQUESTS_TOPIC));
                System.err.println("serve: predictions out: " + config.get(JobConfig.PREDICTIONS_TOPIC));
                System.err.println("serve: parameters:      " + (params != null ? params.toString()
                        : "the newest version on " + config.get(JobConfig.PARAMETERS_TOPIC)) + ", version "
                        + serving.version() + " now");
                System.err.println("serve: dead letters:    " + config.get(JobConfig.DEAD_LETTER_TOPIC));
            }
            stop.await(maxSeconds == null ? null : Duration.ofSeconds(maxSeconds));
        }
        return 0;
    }
}
