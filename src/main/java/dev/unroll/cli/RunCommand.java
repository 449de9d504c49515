package dev.unroll.cli;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.ClientSettings;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterCount;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterFollower;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.StateDirectory;
import dev.unroll.model.Network;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "run", description = {
        "The streaming job on live Kafka. With no --bootstrap-servers it starts an embedded Kafka broker (KRaft)",
        "on 127.0.0.1 and a local Flink MiniCluster. Runs until Ctrl-C (or --max-seconds / --max-sequences)."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Option(names = "--bootstrap-servers", description = "an existing Kafka cluster; without it an embedded broker is started")
    String bootstrap;

    @Option(names = "--port", description = "the embedded broker's port (default ${DEFAULT-VALUE}; a free one if taken)")
    int port = 9092;

    @Option(names = "--state-dir", description = {"keep what the job needs to go on here: the embedded broker's data and",
            "Flink's checkpoints; a later run with the same directory resumes from its newest checkpoint",
            "(default: unroll-state/JOB-NAME under the working directory)"})
    Path stateDir;

    @Option(names = "--fresh", description = "start over: empty the state directory first")
    boolean fresh;

    @Option(names = "--parallelism", description = "parallelism of the BPTT operator (default: the job's stream.parallelism)")
    Integer parallelism;

    @Option(names = "--from", description = "where to start reading sequences: earliest or latest (default ${DEFAULT-VALUE})")
    String from = "earliest";

    @Option(names = "--out", description = "write the newest parameters here when the job stops")
    Path out;

    @Option(names = "--savepoint-dir", description = "stop with a savepoint here (a path or URI) instead of cancelling")
    String savepointDir;

    @Option(names = "--resume-from", description = "resume from this savepoint: state, offsets and parameter version")
    String resumeFrom;

    @Option(names = "--max-seconds", description = "stop after this many seconds")
    Long maxSeconds;

    @Option(names = "--max-sequences", description = "stop once this many sequences are trained")
    Long maxSequences;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Mixin
    InitOption.WithTopic init = new InitOption.WithTopic();

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network initial = init.fromTopic() ? config.loadNetwork() : init.start(config, config.loadNetwork());
        TrainingSpec spec = TrainingSpec.forJob(config, initial, parallelism);
        int p = spec.shards();
        if (config.perKey() && init.fromTopic()) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--init-from-topic takes one"
                    + " model; with training.models: per-key a restarted run keeps each key's model in its checkpoints");
        }
        OffsetsInitializer start = switch (from) {
            case "earliest" -> OffsetsInitializer.earliest();
            case "latest" -> OffsetsInitializer.latest();
            default -> throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--from must be earliest or latest, found " + from);
        };
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                main.interrupt();
            }
        }, "unroll-stop"));
        StateDirectory state = StateDirectory.open(stateDir != null ? stateDir : Path.of("unroll-state", config.name()),
                config.name(), initial, fresh);
        String resume = resumeFrom != null ? resumeFrom
                : state.newestCheckpoint().map(chk -> chk.toUri().toString()).orElse(null);
        if (!quiet) {
            System.err.println("run: state in " + state.path() + (resume == null ? " (new)" : "; resuming from " + resume));
        }
        try (EmbeddedKafka broker = bootstrap == null ? EmbeddedKafka.start(state.kafka(), LoopbackPorts.wantedOrFree(port)) : null) {
            String servers = broker != null ? broker.bootstrapServers() : bootstrap;
            KafkaConnectors kafka = new KafkaConnectors(servers, config.kafka());
            if (broker == null) {
                KafkaClients.requireReachable(kafka.consumerProperties(), KafkaClients.REACH_TIMEOUT);
            }
            if (init.fromTopic()) {
                initial = init.start(config, initial, kafka);
                spec = TrainingSpec.forJob(config, initial, parallelism);
            }
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            Pipeline.Options options = Pipeline.Options.live(config).startingAt(start).resumingFrom(resume)
                    .checkpointsIn(state.checkpointsUri());
            LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
            Configuration flink = monitoring.configuration();
            if (resume != null) {
                flink.set(StateRecoveryOptions.SAVEPOINT_PATH, resume);
                // a retained checkpoint becomes this run's: deleted once a newer one replaces it
                flink.set(StateRecoveryOptions.RESTORE_MODE, resumeFrom != null ? RecoveryClaimMode.NO_CLAIM : RecoveryClaimMode.CLAIM);
            }
            try (Pipeline pipeline = Pipeline.start(LocalFlink.create(p, flink), spec, kafka, topics,
                    config.get(JobConfig.PARTITIONS), options);
                 DeadLetterCount deadLetters = new DeadLetterCount(kafka.consumerProperties(), topics.deadLetters())) {
                announce(servers, broker != null, topics, config);
                if (!quiet) {
                    monitoring.describe().forEach(line -> System.err.println("run: " + line));
                }
                follow(pipeline, deadLetters, spec.isPerKey());
                if (savepointDir != null) {
                    String path = pipeline.stopWithSavepoint(savepointDir);
                    System.err.println("run: stopped with a savepoint; resume with --resume-from " + path);
                }
                pipeline.follow(v -> { }, Duration.ofSeconds(1)); // versions published while stopping
                ParameterVersion newest = pipeline.newest();
                if (out != null && spec.isPerKey()) {
                    NewestPerKey models = everyKey(kafka, topics, spec);
                    Outputs.writeKeyed(out, models.entries(initial));
                    if (!quiet) {
                        System.err.println("run: wrote " + models.keys() + " keys' models (" + models.sequencesTrained()
                                + " sequences) to " + out);
                    }
                } else if (out != null) {
                    Network result = newest == null ? initial : initial.withParameters(newest.parameters());
                    long version = newest == null ? 0 : newest.version;
                    long trained = newest == null ? 0 : newest.sequencesTrained;
                    Outputs.writeNetwork(out, result, init.provenance(config, "run", version, trained));
                    if (!quiet) {
                        System.err.println("run: wrote version " + version + " (" + trained + " sequences) to " + out);
                    }
                }
            }
        } finally {
            stopped.countDown();
        }
        return 0;
    }

    /** Every key's newest version on the (compacted) parameters topic, from its start: the models of earlier runs too. */
    private static NewestPerKey everyKey(KafkaConnectors kafka, Pipeline.Topics topics, TrainingSpec spec) {
        NewestPerKey models = new NewestPerKey();
        try (ParameterFollower all = new ParameterFollower(kafka.consumerProperties(), topics.parameters(), spec.job(),
                spec.network(), spec.limits(), 0)) {
            List<ParameterVersion> got;
            do {
                got = all.poll(Duration.ofMillis(1000));
                got.forEach(models::add);
            } while (!got.isEmpty());
        }
        return models;
    }

    private void follow(Pipeline pipeline, DeadLetterCount deadLetters, boolean perKey) throws InterruptedException {
        long started = System.nanoTime();
        double movingLoss = Double.NaN;
        long lastPrint = 0;
        ParameterVersion newest = null;
        NewestPerKey keys = new NewestPerKey();
        while (!stopRequested.await(0, TimeUnit.MILLISECONDS)) {
            ParameterVersion before = newest;
            newest = pipeline.follow(perKey ? keys::add : v -> { }, Duration.ofMillis(200));
            if (newest != null && newest != before && Double.isFinite(newest.batchLoss)) {
                movingLoss = Double.isNaN(movingLoss) ? newest.batchLoss : 0.9 * movingLoss + 0.1 * newest.batchLoss;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long trained = perKey ? keys.sequencesTrained() : newest == null ? 0 : newest.sequencesTrained;
            if (!quiet && perKey && System.nanoTime() - lastPrint > 1_000_000_000L) {
                lastPrint = System.nanoTime();
                System.err.printf(Locale.ROOT, "\rrun: %d keys, %d sequences trained, %d dead letters, %.1f sequences/s, %.0f s   ",
                        keys.keys(), trained, deadLetters.count(), trained / seconds, seconds);
            } else if (!quiet && System.nanoTime() - lastPrint > 1_000_000_000L) {
                lastPrint = System.nanoTime();
                System.err.print(progressLine(newest, movingLoss, deadLetters.count(), seconds));
            }
            if ((maxSeconds != null && seconds >= maxSeconds) || (maxSequences != null && trained >= maxSequences)) {
                break;
            }
        }
        if (!quiet && perKey) {
            System.err.println();
        } else if (!quiet) {
            System.err.println(progressLine(newest, movingLoss, deadLetters.countNow(), (System.nanoTime() - started) / 1e9));
        }
    }

    private static String progressLine(ParameterVersion newest, double movingLoss, long deadLetters, double seconds) {
        long trained = newest == null ? 0 : newest.sequencesTrained;
        return String.format(Locale.ROOT, "\rrun: version %d, %d sequences trained, %d dead letters, moving loss %.5g,"
                        + " %.1f sequences/s, %.0f s   ", newest == null ? 0 : newest.version, trained, deadLetters, movingLoss,
                trained / seconds, seconds);
    }

    private void announce(String servers, boolean embedded, Pipeline.Topics topics, JobConfig config) {
        if (quiet) {
            return;
        }
        PrintStream err = System.err;
        err.println("run: job " + config.name() + " on " + (embedded ? "an embedded Kafka broker at " : "Kafka at ") + servers);
        err.println("run: sequences in:     " + topics.sequences());
        err.println("run: parameters out:   " + topics.parameters());
        err.println("run: dead letters out: " + topics.deadLetters());
        if (!config.kafka().isEmpty()) {
            err.println("run: Kafka client settings: " + ClientSettings.describe(config.kafka()));
        }
        err.println("run: feed it, for example:  kcat -b " + servers + " -P -t " + topics.sequences() + " -l FILE.jsonl   (-l: one record per line)");
        err.println("run: Ctrl-C stops it" + (out != null ? " and writes the newest parameters to " + out : ""));
    }
}
