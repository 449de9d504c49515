package dev.unroll.cli;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.ServingStart;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.launch.StopSignal;
import dev.unroll.model.Network;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ServingJob;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

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
        long since = System.currentTimeMillis();
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        ServingTopics topics = ServingTopics.of(config);
        try (StopSignal stop = StopSignal.onShutdown("unroll-serve-stop", Duration.ofSeconds(30));
             EmbeddedKafka broker = kafkaOption.bootstrap == null
                     ? EmbeddedKafka.start(LoopbackPorts.wantedOrFree(kafkaOption.port)) : null) {
            String servers = broker != null ? broker.bootstrapServers() : kafkaOption.bootstrap;
            KafkaConnectors kafka = KafkaConnectors.of(servers, config);
            if (broker == null) {
                kafka.requireReachable();
            }
            ServingStart start = ServingStart.fromTopic(config, initial, kafka);
            Network served = start.network();
            long version = start.version();
            if (params != null && !config.perKey()) {
                served = JobParameters.read(config, initial, params);
                version = JobParameters.provenanceVersion(params);
            }
            TrainingSpec spec = TrainingSpec.forJob(config, served, parallelism);
            ServingJob.Wiring wiring = kafka.serving(spec, topics, start.versionsFrom(), since, spec.shards());
            if (params != null && config.perKey()) {
                wiring = wiring.withVersions(ServingJob.fixedPerKey(spec.job(), List.copyOf(
                        KeyedNetworks.read(params, config.limits()))));
            } else if (params != null) {
                wiring = wiring.withVersions(ServingJob.fixed(spec.job(), version, served.parameters()));
            }
            // created last: a client that waits for them knows its requests will be read
            topics.ensureAll(kafka.producerProperties(), config.get(JobConfig.PARTITIONS));
            StreamExecutionEnvironment env = LocalFlink.create(spec.shards());
            env.setBufferTimeout(config.get(JobConfig.BUFFER_TIMEOUT));
            ServingJob.build(env, spec, wiring, version);
            JobClient client = env.executeAsync("unroll serve " + spec.job());
            if (!quiet) {
                System.err.println("serve: job " + config.name() + " on " + (broker != null ? "an embedded Kafka broker at " : "Kafka at ")
                        + servers + ", parallelism " + spec.shards());
                System.err.println("serve: requests in:     " + topics.requests());
                System.err.println("serve: predictions out: " + topics.predictions());
                System.err.println("serve: parameters:      " + (params != null ? params.toString()
                        : "the newest version on " + topics.parameters()) + ", version " + version + " now");
                System.err.println("serve: dead letters:    " + topics.deadLetters());
            }
            stop.await(maxSeconds == null ? null : Duration.ofSeconds(maxSeconds));
            client.cancel().get(30, TimeUnit.SECONDS);
        }
        return 0;
    }
}
