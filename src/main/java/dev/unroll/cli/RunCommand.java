package dev.unroll.cli;

import dev.unroll.job.ClientSettings;
import dev.unroll.job.JobConfig;
import dev.unroll.job.Provenance;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.StateDirectory;
import dev.unroll.launch.StopSignal;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", description = {
        "The streaming job on live Kafka. With no --bootstrap-servers it starts an embedded Kafka broker (KRaft)",
        "on 127.0.0.1 and a local Flink MiniCluster. Runs until Ctrl-C (or --max-seconds / --max-sequences)."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Mixin
    KafkaOption kafkaOption = new KafkaOption();

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

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network network = config.loadNetwork();
        Network initial = init.fromTopic() ? network : init.start(config, network);
        ModelCommands models = ModelCommands.of(config);
        if (models.hasKeys() && init.fromTopic()) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--init-from-topic takes one"
                    + " model; with training.models: per-key a restarted run keeps each key's model in its checkpoints");
        }
        if (!from.equals("earliest") && !from.equals("latest")) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--from must be earliest or latest, found " + from);
        }
        try (StopSignal stop = StopSignal.onShutdown("unroll-stop", Duration.ofSeconds(60))) {
            StateDirectory state = StateDirectory.open(stateDir != null ? stateDir : Path.of("unroll-state", config.name()),
                    config.name(), initial, fresh);
            String resume = resumeFrom != null ? resumeFrom
                    : state.newestCheckpoint().map(chk -> chk.toUri().toString()).orElse(null);
            if (!quiet) {
                System.err.println("run: state in " + state.path() + (resume == null ? " (new)" : "; resuming from " + resume));
            }
            Pipeline.Options options = Pipeline.Options.live(config)
                    // a state directory's retained checkpoint becomes this run's; a savepoint stays the user's
                    .resumingFrom(resume, resumeFrom == null)
                    .checkpointsIn(state.checkpointsUri());
            if (from.equals("latest")) {
                options = options.startingAtLatest();
            }
            LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
            LiveJob.Kafka where = kafkaOption.where(state.kafka());
            try (LiveJob live = LiveJob.start(config, where, kafka -> TrainingSpec.forJob(config,
                    init.fromTopic() ? init.start(config, initial, kafka) : initial, parallelism), options, monitoring)) {
                announce(live, config);
                if (!quiet) {
                    monitoring.describe().forEach(line -> System.err.println("run: " + line));
                }
                ModelCommands.Tally tally = models.tally();
                Progress progress = new Progress("run", quiet)
                        .withDetail(last -> tally.detail() + live.deadLetters(last) + " dead letters");
                ParameterVersion newest = live.follow(stop, new LiveJob.Watcher() {
                    @Override
                    public void version(ParameterVersion v) {
                        tally.add(v);
                    }

                    @Override
                    public boolean poll(ParameterVersion v, double seconds) {
                        long trained = tally.sequencesTrained(v);
                        progress.update(tally.version(v), trained, v == null ? Double.NaN : v.batchLoss);
                        return (maxSeconds != null && seconds >= maxSeconds) || (maxSequences != null && trained >= maxSequences);
                    }
                }, null);
                progress.done(newest == null ? 0 : newest.version, newest == null ? 0 : newest.sequencesTrained,
                        newest == null ? Double.NaN : newest.batchLoss);
                Pipeline pipeline = live.pipeline();
                if (savepointDir != null) {
                    String path = pipeline.stopWithSavepoint(savepointDir);
                    System.err.println("run: stopped with a savepoint; resume with --resume-from " + path);
                }
                pipeline.follow(v -> { }, Duration.ofSeconds(1)); // versions published while stopping
                newest = pipeline.newest();
                if (pipeline.refusedVersions() > 0) {
                    System.err.println("run: passed over " + pipeline.refusedVersions() + " parameter records whose"
                            + " signature fails (docs/security.md)");
                }
                if (out != null) {
                    String wrote = models.trained(live, newest).write(out, live.spec().network(),
                            (version, trained, v) -> init.provenance(config, "run", version, trained,
                                    Provenance.topic(v == null ? null : v.sourceText())));
                    if (!quiet) {
                        System.err.println("run: wrote " + wrote + " to " + out);
                    }
                }
            }
        }
        return 0;
    }

    private void announce(LiveJob live, JobConfig config) {
        if (quiet) {
            return;
        }
        PrintStream err = System.err;
        String servers = live.servers();
        Pipeline.Topics topics = live.topics();
        boolean embedded = live.embedded();
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
