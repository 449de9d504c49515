package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.SequenceFeeder;
import dev.unroll.launch.StopSignal;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.report.History;
import dev.unroll.report.TrainingChart;
import dev.unroll.task.Additions;
import dev.unroll.task.Evaluation;
import dev.unroll.task.HeldOutScorer;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The binary-addition experiment end to end on the embedded default: the live job, a feeder
 * streaming the job's task sequences into it, and every new version scored on held-out sequences
 * until all of them come out right or a budget runs out; then the run is written
 * ({@link DemoResults}) and the live job is asked a few additions.
 */
@Command(name = "demo", description =
        "The binary-addition experiment end to end on the embedded default (in-process Kafka broker, Flink"
        + " MiniCluster): streams the job's task sequences into the live job, scores each parameter version on"
        + " held-out sequences, stops when all of them are right (exit 0) or a budget runs out (exit 1), and"
        + " writes parameters.json, history.csv and training.png.")
final class DemoCommand implements java.util.concurrent.Callable<Integer> {
    /** The feeder stays at most this many batches ahead of the newest version, so the topic is not flooded. */
    static final int LOOKAHEAD_BATCHES = 20;
    /** The held-out set comes from seed + this: sequences the training stream is unlikely to hold. */
    static final long HELD_OUT_SEED_OFFSET = 1000;
    private static final int BAR_WIDTH = 20;

    @Option(names = "--job", description = "the job file (YAML) with its task section (default ${DEFAULT-VALUE})")
    Path job = Path.of("jobs", "binary-addition.yaml");

    @Option(names = "--out-dir", description = "where to write parameters.json, history.csv and training.png (default runs/demo-TIMESTAMP)")
    Path outDir;

    @Option(names = "--max-sequences", description = "give up once this many sequences are trained (default ${DEFAULT-VALUE})")
    long maxSequences = 200_000;

    @Option(names = "--max-minutes", description = "give up after this many minutes (default ${DEFAULT-VALUE})")
    double maxMinutes = 10;

    @Option(names = "--held-out", description = "held-out sequences, all of which must come out right (default ${DEFAULT-VALUE})")
    int heldOut = 500;

    @Option(names = "--parallelism", description = "parallelism of the BPTT operator (default: the job's stream.parallelism)")
    Integer parallelism;

    @Option(names = "--seed", description = "seed of the training stream; the held-out set uses seed + "
            + HELD_OUT_SEED_OFFSET + " (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--quiet", description = "no progress line on stderr")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        String bad = maxSequences < 1 ? "--max-sequences must be at least 1, found " + maxSequences
                : !(maxMinutes > 0) ? "--max-minutes must be positive, found " + maxMinutes
                : heldOut < 1 ? "--held-out must be at least 1, found " + heldOut
                : parallelism != null && parallelism < 1 ? "--parallelism must be at least 1, found " + parallelism
                : null;
        if (bad != null) {
            System.err.println("unroll demo: " + bad);
            return Main.BAD_INPUT;
        }
        long began = System.nanoTime();
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        Task task = Tasks.fromJob(config, initial);
        TrainingSpec spec = TrainingSpec.forJob(config, initial, parallelism);
        DemoResults results = new DemoResults(config, spec, seed, seed + HELD_OUT_SEED_OFFSET, outDir != null ? outDir
                : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        List<Sequence> heldOutSet = Tasks.sample(task, results.heldOutSeed(), heldOut, null);
        Files.createDirectories(results.dir());
        TrainingChart.warmUp();
        int batch = spec.batchSize();
        say("demo: job %s (%s task), batch %d, %d BPTT shard%s; target: all %d held-out sequences (seed %d) right%n",
                config.name(), task.type(), batch, spec.shards(), spec.shards() == 1 ? "" : "s", heldOutSet.size(),
                results.heldOutSeed());
        say("demo: starting an embedded Kafka broker and a Flink MiniCluster...%n");
        LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
        try (StopSignal stop = StopSignal.onShutdown("unroll-demo-stop", Duration.ofSeconds(60));
             LiveJob live = LiveJob.start(config, LiveJob.Kafka.embedded(), kafka -> spec, Pipeline.Options.live(config),
                     monitoring)) {
            if (!quiet) {
                monitoring.describe().forEach(line -> System.err.println("demo: " + line));
            }
            say("demo: Kafka at %s, job submitted (%.1f s); streaming sequences into %s%n", live.servers(),
                    (System.nanoTime() - began) / 1e9, live.topics().sequences());
            long limit = (maxSequences + batch - 1) / batch * batch;
            DemoResults.Run run;
            try (SequenceFeeder feeder = new SequenceFeeder(live.kafka().producerProperties(), live.topics().sequences(),
                    new GeneratedSequences(config, initial, seed).records(), (long) LOOKAHEAD_BATCHES * batch, limit, 0)) {
                run = train(live, stop, feeder, initial, heldOutSet, began);
            }
            // the results first: on Ctrl-C the MiniCluster and broker may be going down under us
            results.write(run, initial, heldOutSet.size(), maxSequences, maxMinutes, began);
            if (run.end() == DemoResults.End.REACHED && Additions.of(task, initial) != null) {
                LiveAdditions.ask(live.kafka(), config, initial, Additions.of(task, initial), seed, 4,
                        System.out);
            }
            return run.end().exitCode;
        }
    }

    private DemoResults.Run train(LiveJob live, StopSignal stop, SequenceFeeder feeder, Network initial,
                                  List<Sequence> heldOutSet, long began) throws Exception {
        long started = System.nanoTime();
        History history = new History();
        HeldOutScorer scorer = new HeldOutScorer(initial, heldOutSet);
        double[] accuracy = {scorer.score(null).fractionSequencesAllRight()};
        history.add(new History.Point(0, 0, Double.NaN, accuracy[0], 0));
        if (accuracy[0] == 1.0) {
            return new DemoResults.Run(DemoResults.End.REACHED, history, null, 1.0, 0);
        }
        DemoResults.End[] end = {null};
        ParameterVersion[] kept = {null};
        Progress progress = new Progress("demo", quiet).withDetail(last -> bar(accuracy[0]) + ", "
                + live.deadLetters(last) + " dead letters");
        live.follow(stop, new LiveJob.Watcher() {
            @Override
            public void version(ParameterVersion v) {
                if (end[0] != null) {
                    return;
                }
                kept[0] = v;
                long now = System.nanoTime();
                Evaluation.Summary s = scorer.maybeScore(v.parameters(), now - started);
                if (s != null) {
                    accuracy[0] = s.fractionSequencesAllRight();
                }
                history.add(new History.Point(v.version, v.sequencesTrained, v.batchLoss,
                        s == null ? Double.NaN : accuracy[0], (now - started) / 1e9, v.windowLoss, v.windowAccuracy));
                if (s != null && HeldOutScorer.allRight(s)) {
                    end[0] = DemoResults.End.REACHED;
                }
            }

            @Override
            public boolean poll(ParameterVersion newest, double seconds) {
                ParameterVersion v = kept[0];
                long trained = v == null ? 0 : v.sequencesTrained;
                progress.update(v == null ? 0 : v.version, trained, v == null ? Double.NaN : v.batchLoss);
                if (end[0] == null && trained >= maxSequences) {
                    end[0] = DemoResults.End.SEQUENCE_BUDGET;
                } else if (end[0] == null && System.nanoTime() - began >= (long) (maxMinutes * 60e9)) {
                    end[0] = DemoResults.End.TIME_BUDGET;
                }
                return end[0] != null;
            }
        }, feeder);
        History.Point last = history.last();
        ParameterVersion v = kept[0];
        if (v != null && !last.scored()) {
            // the budget ran out (or Ctrl-C) between scorings: the kept version gets its score
            accuracy[0] = scorer.score(v.parameters()).fractionSequencesAllRight();
            history.replaceLast(last.scoredAs(accuracy[0]));
        }
        progress.done(v == null ? 0 : v.version, v == null ? 0 : v.sequencesTrained, v == null ? Double.NaN : v.batchLoss);
        return new DemoResults.Run(end[0] == null ? DemoResults.End.INTERRUPTED : end[0], history, v, accuracy[0],
                (System.nanoTime() - started) / 1e9);
    }

    private static String bar(double accuracy) {
        int filled = (int) Math.floor(accuracy * BAR_WIDTH);
        return String.format(Locale.ROOT, "[%s%s] %5.1f%% held-out", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled),
                100 * accuracy);
    }

    private void say(String format, Object... args) {
        if (!quiet) {
            System.err.printf(Locale.ROOT, format, args);
        }
    }
}
