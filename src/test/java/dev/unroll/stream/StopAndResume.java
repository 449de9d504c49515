package dev.unroll.stream;

import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.TestSupport;
import dev.unroll.model.Trainer;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One training run of the in-memory job (TrainingJob's graph, sources and sinks in this JVM) cut
 * into segments: each runs at its own parallelism and is stopped with a savepoint once the source
 * has read a chosen record, and the next resumes from that savepoint; the last runs to the end of
 * the input. Everything random comes from one seed: staleness 0..4, parallelism 1..3 per segment,
 * the records where the stops come, and whether versions reach BPTT in memory or through the
 * feed. The run then must equal the offline trainer: every version published, before and after
 * each stop, to 1e-9, the last one marked last, each sequence counted once.
 *
 * <p>The training amplifies any difference (momentum 0.5 and a step of 0.2 on j2-tanh-b7's data:
 * weights grow to tens, and one unit in the last place of a batch's sum becomes a difference in
 * the leading digits within some 30 batches), so a batch computed at the wrong version, applied to
 * the wrong one, or summed in another order than the trainer's shows at 1e-9.
 */
final class StopAndResume {
    static final int BATCH = 6;
    /** 12 copies of the 30 sequences of j2-tanh-b7: 60 batches */
    static final int COPIES = 12;
    static final int RECORDS = 30 * COPIES;
    /** records per second, so that batches are in flight when a stop comes */
    static final double RATE = 500;
    /** records the source may read past a stop's record before it waits for the stop */
    static final int MARGIN = 30;
    private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

    private StopAndResume() {
    }

    /** What a seed chose, for the test's name and its failure messages. */
    record Plan(long seed, int staleness, boolean inProcess, int[] parallelism, long[] stopAt) {
        static Plan of(long seed, int resumes) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int[] p = new int[resumes + 1];
            for (int k = 0; k < p.length; k++) {
                p[k] = 1 + rnd.nextInt(3);
            }
            long[] stops = rnd.longs(resumes, 1, RECORDS - MARGIN).sorted().toArray();
            return new Plan(seed, rnd.nextInt(5), rnd.nextBoolean(), p, stops);
        }

        @Override
        public String toString() {
            return "seed " + seed + ": S=" + staleness + ", P " + java.util.Arrays.toString(parallelism) + ", stops at records "
                    + java.util.Arrays.toString(stopAt) + (inProcess ? "" : ", versions through the feed");
        }
    }

    /** Runs the plan in {@code dir} and checks it against the offline trainer; returns the versions where the stops landed. */
    static List<Long> check(Plan plan, Path dir) throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j2-tanh-b7/network.json"), dir.resolve("network.json"));
        Files.writeString(dir.resolve("job.yaml"), "name: resume\nnetwork: network.json\ntraining:\n  batchSize: " + BATCH
                + "\n  learningRate: 0.2\n  momentum: 0.5\n  staleness: " + plan.staleness() + "\n");
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        Network net = config.loadNetwork();
        List<String> lines = Files.readAllLines(TestSupport.examples().resolve("training/j2-tanh-b7/data.jsonl"));
        List<String> records = new ArrayList<>();
        for (int c = 0; c < COPIES; c++) {
            records.addAll(lines);
        }
        assertEquals(RECORDS, records.size());

        // the trainer's every version: versions.get(k) is version k
        Trainer reference = config.trainer(net);
        List<Parameters> versions = new ArrayList<>(List.of(net.parameters()));
        for (String line : records) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
            if (reference.version() == versions.size()) {
                versions.add(reference.network().parameters());
            }
        }
        reference.finish();

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        String run = UUID.randomUUID().toString();
        Gate gate = new Gate();
        GATES.put(run, gate);
        List<Long> landed = new ArrayList<>();
        String savepoint = null;
        try {
            for (int segment = 0; segment < plan.parallelism().length; segment++) {
                boolean lastSegment = segment == plan.stopAt().length;
                gate.limit = lastSegment ? Long.MAX_VALUE : plan.stopAt()[segment] + MARGIN;
                gate.read = 0; // until the source reads on from where the savepoint left it
                JobClient job = start(config, net, plan, plan.parallelism()[segment], records, savepoint, run,
                        parameters, deadLetters);
                if (lastSegment) {
                    job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
                } else {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (gate.read < plan.stopAt()[segment]) {
                        assertTrue(System.nanoTime() < deadline, plan + ": record " + plan.stopAt()[segment] + " read within 60 s");
                        Thread.sleep(1);
                    }
                    savepoint = stopWithSavepoint(job, dir.resolve("savepoints"), deadline);
                    landed.add(newest(parameters));
                }
            }
        } finally {
            GATES.remove(run);
        }

        List<ParameterVersion> published = parameters.records();
        for (ParameterVersion v : published) {
            Parameters expected = versions.get((int) v.version);
            String what = plan + ", landed at " + landed + ": version " + v.version + " (epoch " + v.epoch + ") ";
            RecoveryTest.assertClose(expected.weights, v.weights, what + "weights");
            RecoveryTest.assertClose(expected.biases, v.biases, what + "biases");
            RecoveryTest.assertClose(expected.initialState, v.initialState, what + "initialState");
        }
        ParameterVersion last = published.get(published.size() - 1);
        assertTrue(last.last, plan + ": the bounded input's last version is marked last");
        assertEquals(reference.version(), last.version, plan + ": versions");
        assertEquals(records.size(), last.sequencesTrained, plan + ": each sequence once");
        assertEquals("in-memory 0:0-" + (records.size() - 1), last.source.toString(), plan + ": every record trained into it");
        assertTrue(deadLetters.records().isEmpty(), plan + ": no dead letters");
        return landed;
    }

    /** Stops the job with a savepoint as soon as it can take one (not while its tasks are still starting). */
    private static String stopWithSavepoint(JobClient job, Path savepoints, long deadline) throws Exception {
        while (true) {
            try {
                return job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * The source's pace: {@link #RATE} records a second, and none at or past {@code limit}, so that
     * it never reaches the end of its input (and closes, which a stop cannot wait for) while a
     * stop is on its way. {@code read} is the number of records read so far.
     */
    private static final class Gate {
        volatile long limit;
        volatile long read;

        static RateLimiterStrategy<SourceSplit> of(String run) {
            return parallelism -> {
                Gate gate = GATES.get(run);
                ExecutorService pacer = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "gate " + run);
                    t.setDaemon(true);
                    return t;
                });
                long period = (long) (1e9 / RATE);
                long[] next = {System.nanoTime()};
                return events -> CompletableFuture.runAsync(() -> {
                    try {
                        while (gate.read >= gate.limit) {
                            Thread.sleep(1);
                        }
                        next[0] = Math.max(next[0] + period, System.nanoTime());
                        Thread.sleep(Math.max(0, (next[0] - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, pacer);
            };
        }
    }

    private static long newest(InMemoryTopic<ParameterVersion> parameters) {
        return parameters.records().stream().mapToLong(v -> v.version).max().orElse(0);
    }

    private static JobClient start(JobConfig config, Network net, Plan plan, int parallelism, List<String> records,
                                   String savepoint, String run, InMemoryTopic<ParameterVersion> parameters,
                                   InMemoryTopic<DeadLetter> deadLetters) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setBufferTimeout(0);
        GeneratorFunction<Long, RawRecord> record = k -> {
            GATES.get(run).read = k + 1;
            return new RawRecord("in-memory", 0, k, null, records.get(k.intValue()).getBytes(StandardCharsets.UTF_8));
        };
        TrainingJob.build(env, TrainingSpec.of(config, net, parallelism).withInProcessVersions(plan.inProcess()),
                new DataGeneratorSource<>(record, records.size(), Gate.of(run), TypeInformation.of(RawRecord.class)),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        return env.executeAsync("resume " + plan.seed() + " at P=" + parallelism);
    }
}
