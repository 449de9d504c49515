package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterCount;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.model.SequenceJson;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.report.History;
import dev.unroll.report.TrainingChart;
import dev.unroll.task.Additions;
import dev.unroll.task.Evaluation;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The binary-addition experiment end to end on the embedded default: an in-process KRaft broker,
 * the live streaming job on a Flink MiniCluster, a producer thread streaming the job's task
 * sequences into the sequences topic, and every new parameter version scored on held-out
 * sequences until all of them come out right or a budget runs out. Writes the parameters, the
 * history and a plot of the run.
 */
@Command(name = "demo", description =
        "The binary-addition experiment end to end on the embedded default (in-process Kafka broker, Flink"
        + " MiniCluster): streams the job's task sequences into the live job, scores each parameter version on"
        + " held-out sequences, stops when all of them are right (exit 0) or a budget runs out (exit 1), and"
        + " writes parameters.json, history.csv and training.png.")
final class DemoCommand implements Callable<Integer> {
    /** The producer stays at most this many batches ahead of the newest version, so the topic is not flooded. */
    static final int LOOKAHEAD_BATCHES = 20;
    /** The held-out set comes from seed + this: sequences the training stream is unlikely to hold. */
    static final long HELD_OUT_SEED_OFFSET = 1000;
    /** Scoring may take this share of the wall time; beyond it, versions are scored a few times a second. */
    private static final double SCORING_SHARE = 0.25;
    private static final long MIN_SCORING_GAP_NANOS = 250_000_000L;
    /** No new version for this long while sequences wait in the topic means the job is stuck. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(120);
    private static final long STATUS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** How the run ended; the exit code follows from it. */
    enum End {
        REACHED(0), SEQUENCE_BUDGET(1), TIME_BUDGET(1), INTERRUPTED(130);

        final int exitCode;

        End(int exitCode) {
            this.exitCode = exitCode;
        }
    }

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

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final PrintStream err = System.err;
    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        String bad = maxSequences < 1 ? "--max-sequences must be at least 1, found " + maxSequences
                : !(maxMinutes > 0) ? "--max-minutes must be positive, found " + maxMinutes
                : heldOut < 1 ? "--held-out must be at least 1, found " + heldOut
                : parallelism != null && parallelism < 1 ? "--parallelism must be at least 1, found " + parallelism
                : null;
        if (bad != null) {
            err.println("unroll demo: " + bad);
            return Main.BAD_INPUT;
        }
        long began = System.nanoTime();
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        Task task = Tasks.fromJob(config, initial);
        TrainingSpec spec = TrainingSpec.forJob(config, initial, parallelism);
        long heldOutSeed = seed + HELD_OUT_SEED_OFFSET;
        List<Sequence> heldOutSet = Tasks.sample(task, heldOutSeed, heldOut, null);
        Path dir = outDir != null ? outDir
                : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        TrainingChart.warmUp();

        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                main.interrupt();
            }
        }, "unroll-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return demo(config, initial, task, spec, heldOutSet, heldOutSeed, dir, began);
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it has just been released
            }
        }
    }

    private int demo(JobConfig config, Network initial, Task task, TrainingSpec spec, List<Sequence> heldOutSet,
                     long heldOutSeed, Path dir, long began) throws Exception {
        int batch = config.get(JobConfig.BATCH_SIZE);
        if (!quiet) {
            err.printf(Locale.ROOT, "demo: job %s (%s task), batch %d, %d BPTT shard%s; target: all %d held-out sequences"
                            + " (seed %d) right%n", config.name(), task.type(), batch, spec.shards(), spec.shards() == 1 ? "" : "s",
                    heldOutSet.size(), heldOutSeed);
            err.println("demo: starting an embedded Kafka broker and a Flink MiniCluster...");
        }
        Run run;
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            if (!quiet) {
                err.printf(Locale.ROOT, "demo: Kafka broker at %s (%.1f s)%n", broker.bootstrapServers(), seconds(began));
            }
            KafkaConnectors kafka = new KafkaConnectors(broker.bootstrapServers(), config.kafka());
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
            Pipeline pipeline = Pipeline.start(LocalFlink.create(spec.shards(), monitoring.configuration()), spec, kafka,
                    topics, config.get(JobConfig.PARTITIONS), Pipeline.Options.live(config));
            if (!quiet) {
                monitoring.describe().forEach(line -> err.println("demo: " + line));
                err.printf(Locale.ROOT, "demo: job submitted to the MiniCluster (%.1f s); streaming sequences into %s%n",
                        seconds(began), topics.sequences());
            }
            try {
                long limit = (maxSequences + batch - 1) / batch * batch;
                Iterator<Sequence> sequences = Tasks.generator(task, seed, Tasks.idPrefix(config, seed));
                try (Feeder feeder = new Feeder(kafka, topics.sequences(), sequences, initial, config,
                        (long) LOOKAHEAD_BATCHES * batch, limit);
                     DeadLetterCount deadLetters = new DeadLetterCount(kafka.consumerProperties(), topics.deadLetters())) {
                    run = train(pipeline, feeder, deadLetters, initial, heldOutSet, began);
                }
                // the results first: on Ctrl-C the MiniCluster and broker may be going down under us
                write(run, config, initial, spec, heldOutSet.size(), heldOutSeed, dir, began);
                if (run.end == End.REACHED && Additions.of(task, initial) != null) {
                    LiveAdditions.ask(kafka.consumerProperties(), config, initial, Additions.of(task, initial), seed, 4, out);
                }
            } finally {
                closeQuietlyIfStopping(pipeline);
            }
        }
        return run.end.exitCode;
    }

    /** What the training loop ended with: the version whose parameters are kept, and its score. */
    private record Run(End end, History history, ParameterVersion kept, double accuracy, double trainingSeconds) {
    }

    private Run train(Pipeline pipeline, Feeder feeder, DeadLetterCount deadLetters, Network initial,
                      List<Sequence> heldOutSet, long began) throws Exception {
        long started = System.nanoTime();
        History history = new History();
        Scorer scorer = new Scorer(initial, heldOutSet);
        Evaluation.Summary first = scorer.score(initial);
        history.add(new History.Point(0, 0, Double.NaN, first.fractionSequencesAllRight(), 0));
        Bar bar = new Bar(quiet, started, deadLetters);
        if (allRight(first)) {
            return new Run(End.REACHED, history, null, 1.0, 0);
        }
        ParameterVersion newest = null;
        double newestAccuracy = first.fractionSequencesAllRight();
        long lastVersionAt = started;
        long lastStatusAt = started;
        List<ParameterVersion> arrived = new ArrayList<>();
        End end = null;
        while (end == null) {
            if (stopRequested.getCount() == 0 || Thread.currentThread().isInterrupted()) {
                end = End.INTERRUPTED;
                break;
            }
            arrived.clear();
            pipeline.follow(arrived::add, Duration.ofMillis(100));
            long now = System.nanoTime();
            for (ParameterVersion v : arrived) {
                newest = v;
                lastVersionAt = now;
                feeder.trained(v.sequencesTrained);
                Evaluation.Summary s = scorer.maybeScore(v, now - started);
                double accuracy = s == null ? Double.NaN : s.fractionSequencesAllRight();
                history.add(new History.Point(v.version, v.sequencesTrained, v.batchLoss, accuracy, (now - started) / 1e9));
                if (s != null) {
                    newestAccuracy = accuracy;
                }
                if (s != null && allRight(s)) {
                    end = End.REACHED;
                    break;
                }
            }
            bar.update(newest, newestAccuracy, end == End.REACHED);
            if (end != null) {
                break;
            }
            long trained = newest == null ? 0 : newest.sequencesTrained;
            if (trained >= maxSequences) {
                end = End.SEQUENCE_BUDGET;
            } else if (now - began >= (long) (maxMinutes * 60e9)) {
                end = End.TIME_BUDGET;
            }
            feeder.check();
            if (end == null && now - lastStatusAt >= STATUS_EVERY_NANOS) {
                lastStatusAt = now;
                JobStatus status = pipeline.client().getJobStatus().get(10, TimeUnit.SECONDS);
                if (status.isGloballyTerminalState()) {
                    throw new IllegalStateException("the Flink job ended (" + status + ") at version "
                            + (newest == null ? 0 : newest.version));
                }
                if (now - lastVersionAt > STALL_NANOS && feeder.produced() > trained) {
                    throw new IllegalStateException("no new parameter version for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS)
                            + " s although " + (feeder.produced() - trained) + " sequences wait in the topic (job " + status + ")");
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (newest != null && !history.last().scored()) {
            // the budget ran out (or Ctrl-C) between scorings: the kept version gets its score
            History.Point last = history.last();
            double accuracy = scorer.score(initial.withParameters(newest.parameters())).fractionSequencesAllRight();
            history.replaceLast(new History.Point(last.version(), last.sequencesTrained(), last.batchLoss(), accuracy,
                    last.seconds()));
            newestAccuracy = accuracy;
        }
        bar.done(newest, newestAccuracy);
        return new Run(end, history, newest, newestAccuracy, seconds);
    }

    private static boolean allRight(Evaluation.Summary s) {
        return s.sequencesAllRight() == s.sequences();
    }

    private void write(Run run, JobConfig config, Network initial, TrainingSpec spec, int heldOutCount, long heldOutSeed,
                       Path dir, long began) throws IOException {
        ParameterVersion v = run.kept;
        long version = v == null ? 0 : v.version;
        long trained = v == null ? 0 : v.sequencesTrained;
        Network result = v == null ? initial : initial.withParameters(v.parameters());
        Map<String, Object> provenance = Outputs.provenance(config, "demo", version, trained);
        provenance.put("seed", seed);
        provenance.put("heldOutSeed", heldOutSeed);
        provenance.put("heldOutSequences", heldOutCount);
        provenance.put("heldOutAccuracy", run.accuracy);
        Path params = dir.resolve("parameters.json");
        Path csv = dir.resolve("history.csv");
        Path png = dir.resolve("training.png");
        Outputs.writeNetwork(params, result, provenance);
        run.history.write(csv);
        out.println("demo: parameters " + params);
        out.println("demo: history    " + csv);
        String title = PlotCommand.headline(config.name(), run.history);
        String subtitle = String.format(Locale.ROOT,
                "streamed through Kafka and Flink: batch %d, learning rate %s, momentum %s, %d BPTT shard%s;"
                        + " held-out: %d sequences (seed %d); %.1f s of training",
                spec.batchSize(), number(spec.sgd().learningRate()), number(spec.sgd().momentum()), spec.shards(),
                spec.shards() == 1 ? "" : "s", heldOutCount, heldOutSeed, run.trainingSeconds);
        try {
            TrainingChart.writePng(run.history, title, subtitle, png);
            out.println("demo: plot       " + png);
        } catch (IOException | RuntimeException e) {
            // the numbers are safe in history.csv; `plot --history` can draw them later
            err.println("demo: could not draw " + png + ": " + e);
        }

        double wall = (System.nanoTime() - began) / 1e9;
        String figures = String.format(Locale.ROOT, "version %d, %,d sequences trained, held-out accuracy %.1f%% (%d sequences);"
                        + " %.1f s wall time (%.1f s training)", version, trained, 100 * run.accuracy, heldOutCount, wall,
                run.trainingSeconds);
        switch (run.end) {
            case REACHED -> out.println("demo: reached 100% held-out accuracy: " + figures);
            case SEQUENCE_BUDGET -> err.println("demo: the budget of " + maxSequences + " sequences ran out before every held-out"
                    + " sequence was right: " + figures + " (raise --max-sequences)");
            case TIME_BUDGET -> err.println("demo: the budget of " + number(maxMinutes) + " minutes ran out before every held-out"
                    + " sequence was right: " + figures + " (raise --max-minutes)");
            case INTERRUPTED -> err.println("demo: interrupted: " + figures);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** On Ctrl-C Flink's own shutdown hooks may already be tearing the cluster down: do not fail then. */
    private void closeQuietlyIfStopping(Pipeline pipeline) throws Exception {
        try {
            pipeline.close();
        } catch (Exception e) {
            if (stopRequested.getCount() > 0) {
                throw e;
            }
        }
    }

    /** Scores versions on the held-out set, every one while that stays cheap, else a few per second. */
    private static final class Scorer {
        private final Network initial;
        private final List<Sequence> heldOut;
        private long spentNanos;
        private long lastAt = Long.MIN_VALUE;

        Scorer(Network initial, List<Sequence> heldOut) {
            this.initial = initial;
            this.heldOut = heldOut;
        }

        Evaluation.Summary maybeScore(ParameterVersion v, long elapsedNanos) {
            long now = System.nanoTime();
            if (spentNanos > SCORING_SHARE * elapsedNanos && now - lastAt < MIN_SCORING_GAP_NANOS) {
                return null;
            }
            return score(initial.withParameters(v.parameters()));
        }

        Evaluation.Summary score(Network net) {
            long start = System.nanoTime();
            Evaluation.Summary s = Evaluation.of(net, heldOut, 0);
            lastAt = System.nanoTime();
            spentNanos += lastAt - start;
            return s;
        }
    }

    /**
     * Streams the task's sequences into the sequences topic from its own thread, at most
     * {@code lookahead} sequences ahead of the newest version's count and never past {@code limit}.
     */
    static final class Feeder implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final Iterator<Sequence> sequences;
        private final Network net;
        private final JobConfig config;
        private final long lookahead;
        private final long limit;
        private final Thread thread;
        private final Object signal = new Object();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile long trained;
        private volatile long produced;
        private volatile boolean closed;

        Feeder(KafkaConnectors kafka, String topic, Iterator<Sequence> sequences, Network net, JobConfig config,
               long lookahead, long limit) {
            this.producer = new KafkaProducer<>(kafka.producerProperties());
            this.topic = topic;
            this.sequences = sequences;
            this.net = net;
            this.config = config;
            this.lookahead = lookahead;
            this.limit = limit;
            this.thread = new Thread(this::feed, "unroll-demo-producer");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        /** The newest version has this many sequences: the producer may run ahead of it again. */
        void trained(long count) {
            trained = count;
            synchronized (signal) {
                signal.notifyAll();
            }
        }

        long produced() {
            return produced;
        }

        /** Throws what made the producer fail, if anything did. */
        void check() {
            Throwable t = failure.get();
            if (t != null) {
                throw new IllegalStateException("producing sequences to " + topic + " failed: " + t.getMessage(), t);
            }
        }

        private long allowed() {
            return Math.min(limit, trained + lookahead);
        }

        private void feed() {
            try {
                while (!closed && failure.get() == null) {
                    if (produced >= allowed()) {
                        synchronized (signal) {
                            if (!closed && produced >= allowed()) {
                                signal.wait(100);
                            }
                        }
                        continue;
                    }
                    Sequence seq = sequences.next();
                    String json = SequenceJson.write(seq);
                    // what the job reads back must pass its checks, or it would be dead-lettered and training would stall
                    SequenceJson.parse(json, config.file() + ": generated sequence " + seq.id(), net, config.limits());
                    producer.send(new ProducerRecord<>(topic, seq.id().getBytes(StandardCharsets.UTF_8),
                            json.getBytes(StandardCharsets.UTF_8)), (meta, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    produced++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            synchronized (signal) {
                signal.notifyAll();
            }
            thread.join(TimeUnit.SECONDS.toMillis(10));
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** The one-line progress bar: held-out accuracy as a bar, then the version's figures. */
    private final class Bar {
        private static final int WIDTH = 20;
        private static final long INTERVAL_NANOS = 200_000_000L;
        private final boolean silent;
        private final long started;
        private final DeadLetterCount deadLetters;
        private long lastPrinted;
        private int lastLength;

        Bar(boolean silent, long started, DeadLetterCount deadLetters) {
            this.silent = silent;
            this.started = started;
            this.deadLetters = deadLetters;
        }

        void update(ParameterVersion v, double accuracy, boolean force) {
            long now = System.nanoTime();
            if (silent || (!force && now - lastPrinted < INTERVAL_NANOS)) {
                return;
            }
            lastPrinted = now;
            print(line(v, accuracy, deadLetters.count(), now));
        }

        void done(ParameterVersion v, double accuracy) {
            if (!silent) {
                print(line(v, accuracy, deadLetters.countNow(), System.nanoTime()));
                err.println();
            }
        }

        private void print(String line) {
            int pad = Math.max(0, lastLength - line.length());
            lastLength = line.length();
            err.print("\r" + line + " ".repeat(pad));
            err.flush();
        }

        private String line(ParameterVersion v, double accuracy, long dead, long now) {
            double seconds = Math.max(1e-9, (now - started) / 1e9);
            int filled = Double.isNaN(accuracy) ? 0 : (int) Math.floor(accuracy * WIDTH);
            long trained = v == null ? 0 : v.sequencesTrained;
            return String.format(Locale.ROOT, "demo: [%s%s] %5.1f%% held-out | version %d | %,d sequences | batch loss %.4g"
                            + " | %,d dead letters | %,.0f sequences/s | %.1f s",
                    "#".repeat(filled), ".".repeat(WIDTH - filled), Double.isNaN(accuracy) ? 0.0 : 100 * accuracy,
                    v == null ? 0 : v.version, trained, v == null ? Double.NaN : v.batchLoss, dead, trained / seconds, seconds);
        }
    }
}
