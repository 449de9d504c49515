package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.ParameterFollower;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ModelLayout;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Starts a training job on an execution environment and follows it from outside through its
 * parameters topic, as the commands (replay, run, demo) and the integration tests do.
 */
public final class Pipeline implements AutoCloseable {
    /**
     * The job's topics: {@code sequences} is the one it trains from (its events topic, with an events
     * input); {@code serving} null when the job answers no requests.
     */
    public record Topics(String sequences, String parameters, String deadLetters, ServingTopics serving) {
        public Topics(String sequences, String parameters, String deadLetters) {
            this(sequences, parameters, deadLetters, null);
        }

        public static Topics of(JobConfig config) {
            return new Topics(config.inputTopic(), config.get(JobConfig.PARAMETERS_TOPIC),
                    config.get(JobConfig.DEAD_LETTER_TOPIC), ServingTopics.of(config));
        }
    }

    /**
     * How to run: which sequences to read, whether to stop at the end of them, and how state is kept.
     *
     * @param resumeFrom a savepoint or retained checkpoint to resume from (state, offsets and the version), or null
     * @param claim      whether the resumed checkpoint becomes this run's, deleted once a newer one replaces it (a
     *                   state directory's), rather than left as it is (a savepoint a user keeps)
     */
    public record Options(OffsetsInitializer from, OffsetsInitializer boundedAt, long checkpointIntervalMs,
                          long bufferTimeoutMs, String resumeFrom, boolean claim, Durability durability) {
        public static Options replay(OffsetsInitializer from, JobConfig config) {
            return new Options(from, OffsetsInitializer.latest(), 0, config.get(JobConfig.BUFFER_TIMEOUT), null, false,
                    Durability.of(config));
        }

        public static Options live(JobConfig config) {
            return new Options(OffsetsInitializer.earliest(), null, config.get(JobConfig.CHECKPOINT_INTERVAL),
                    config.get(JobConfig.BUFFER_TIMEOUT), null, false, Durability.of(config));
        }

        /** From the input's end when started without state: only what is produced from now on. */
        public Options startingAtLatest() {
            return new Options(OffsetsInitializer.latest(), boundedAt, checkpointIntervalMs, bufferTimeoutMs, resumeFrom,
                    claim, durability);
        }

        public Options checkpointingEvery(long ms) {
            return new Options(from, boundedAt, ms, bufferTimeoutMs, resumeFrom, claim, durability);
        }

        /** Resume from a savepoint or retained checkpoint ({@code claim}: see the record): state, offsets and the version. */
        public Options resumingFrom(String savepoint, boolean claimIt) {
            return new Options(from, boundedAt, checkpointIntervalMs, bufferTimeoutMs, savepoint, claimIt, durability);
        }

        /** Checkpoints written to (and retained in) {@code uri} unless the job names its own place. */
        public Options checkpointsIn(String uri) {
            return new Options(from, boundedAt, checkpointIntervalMs, bufferTimeoutMs, resumeFrom, claim,
                    durability.checkpointDir() != null ? durability : durability.in(uri));
        }

        /** The settings of a local cluster that resumes as these options say. */
        Configuration flinkSettings(Configuration flink) {
            if (resumeFrom != null) {
                flink.set(StateRecoveryOptions.SAVEPOINT_PATH, resumeFrom);
                flink.set(StateRecoveryOptions.RESTORE_MODE, claim ? RecoveryClaimMode.CLAIM : RecoveryClaimMode.NO_CLAIM);
            }
            return flink;
        }
    }

    /**
     * Where checkpoints go and how state is kept. Without a directory Flink keeps checkpoints in
     * the JobManager's memory (lost with it); with one they are files, retained when the job is
     * cancelled or fails, so a later submission can resume from them.
     */
    public record Durability(String checkpointDir, String stateBackend, boolean incremental) {
        public static Durability of(JobConfig config) {
            return new Durability(config.get(JobConfig.CHECKPOINT_DIR), config.get(JobConfig.STATE_BACKEND),
                    config.get(JobConfig.INCREMENTAL_CHECKPOINTS));
        }

        Durability in(String dir) {
            return new Durability(dir, stateBackend, incremental);
        }

        Configuration flinkConfig() {
            Configuration c = new Configuration();
            c.set(StateBackendOptions.STATE_BACKEND, stateBackend);
            c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, incremental);
            if (checkpointDir != null) {
                c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
                c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
                c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
            }
            return c;
        }
    }

    private static final long STATUS_CHECK_NANOS = 1_000_000_000L;
    private static final long ENDED_DRAIN_NANOS = 10_000_000_000L;

    private final JobClient client;
    private final ParameterFollower follower;
    private ParameterVersion newest;

    private Pipeline(JobClient client, ParameterFollower follower) {
        this.client = client;
        this.follower = follower;
    }

    /** Creates missing topics, submits the job ({@link JobRunner#defineTraining}) and returns once it is submitted. */
    public static Pipeline start(StreamExecutionEnvironment env, TrainingSpec spec, KafkaConnectors kafka,
                                 Topics topics, int partitions, Options options) throws Exception {
        long since = System.currentTimeMillis();
        JobRunner.defineTraining(env, spec, kafka, topics, partitions, options);
        // a resumed job's newest version was published before it stopped: follow from the topic's last record
        Properties following = ModelLayout.of(spec).manyVersions() ? kafka.followerConsumerProperties()
                : kafka.consumerProperties();
        ParameterFollower follower = new ParameterFollower(following, topics.parameters(), spec.job(),
                spec.network(), spec.limits(), options.resumeFrom() != null ? ParameterFollower.LAST_RECORD : since,
                kafka.signingKey());
        try {
            return new Pipeline(env.executeAsync("unroll " + spec.job()), follower);
        } catch (Exception | Error e) {
            follower.close();
            throw e;
        }
    }

    /**
     * Follows versions until one marked last (the end of a bounded input), calling
     * {@code onVersion} for each new one.
     *
     * @throws IllegalStateException if the job ends before that, or nothing new arrives within {@code stall}
     */
    public ParameterVersion awaitLast(Consumer<ParameterVersion> onVersion, Duration stall) throws Exception {
        long lastProgress = System.nanoTime();
        long lastStatusCheck = lastProgress - STATUS_CHECK_NANOS;
        long endedAt = 0;
        while (true) {
            for (ParameterVersion v : follower.poll(Duration.ofMillis(100))) {
                newest = v;
                lastProgress = System.nanoTime();
                onVersion.accept(v);
                if (v.last) {
                    return v;
                }
            }
            // an RPC to the cluster: once a second, not after every version, on the job's own CPUs
            if (System.nanoTime() - lastStatusCheck < STATUS_CHECK_NANOS) {
                continue;
            }
            lastStatusCheck = System.nanoTime();
            JobStatus status = status();
            if (status == null || status.isGloballyTerminalState()) {
                // a bounded job finishes right after publishing its last version, which may still be on its way here
                if (endedAt == 0) {
                    endedAt = System.nanoTime();
                } else if (System.nanoTime() - endedAt > ENDED_DRAIN_NANOS) {
                    throw new IllegalStateException("the job ended (" + status + ") before its last version" + failureOf());
                }
                continue;
            }
            if (System.nanoTime() - lastProgress > stall.toNanos()) {
                throw new IllegalStateException("no new parameter version for " + stall.toSeconds() + " s (job "
                        + status + ")");
            }
        }
    }

    /**
     * Per-key models on a bounded input: follows versions, calling {@code onVersion} for each new
     * one, until the job has ended and the topic holds nothing more; returns every key's newest.
     * There is no single last version to wait for: each key ends on its own.
     *
     * @throws IllegalStateException if the job fails, or nothing new arrives within {@code stall} while it runs
     */
    public NewestPerKey awaitEnd(Consumer<ParameterVersion> onVersion, Duration stall) throws Exception {
        NewestPerKey newestPerKey = new NewestPerKey();
        long lastProgress = System.nanoTime();
        long lastStatusCheck = lastProgress - STATUS_CHECK_NANOS;
        boolean ended = false;
        while (true) {
            List<ParameterVersion> got = follower.poll(Duration.ofMillis(ended ? 1000 : 100));
            for (ParameterVersion v : got) {
                newest = v;
                lastProgress = System.nanoTime();
                newestPerKey.add(v);
                onVersion.accept(v);
            }
            if (ended && got.isEmpty()) {
                // the sinks flush at the end of the input, before the job finishes: all of it has been read
                return newestPerKey;
            }
            if (ended || System.nanoTime() - lastStatusCheck < STATUS_CHECK_NANOS) {
                continue;
            }
            lastStatusCheck = System.nanoTime();
            JobStatus status = status();
            if (status == null || status.isGloballyTerminalState()) {
                String failure = status == JobStatus.FINISHED ? "" : failureOf();
                if (!failure.isEmpty()) {
                    throw new IllegalStateException("the job ended (" + status + ")" + failure);
                }
                ended = true;
            } else if (System.nanoTime() - lastProgress > stall.toNanos()) {
                throw new IllegalStateException("no new parameter version for " + stall.toSeconds() + " s (job "
                        + status + ")");
            }
        }
    }

    /** The job's status, or null when the cluster no longer answers (a local one goes with its finished job). */
    JobStatus status() {
        try {
            return client.getJobStatus().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    /** Follows versions for at most {@code timeout}, returning the newest seen so far (null if none). */
    public ParameterVersion follow(Consumer<ParameterVersion> onVersion, Duration timeout) {
        for (ParameterVersion v : follower.poll(timeout)) {
            newest = v;
            onVersion.accept(v);
        }
        return newest;
    }

    public ParameterVersion newest() {
        return newest;
    }

    /** How many records of the parameters topic following it passed over because their signature fails. */
    public long refusedVersions() {
        return follower.refused();
    }

    /**
     * The job's accumulators (the round trip's trace among them, see LoopTrace). A bounded job
     * ends by itself after its last version: its final ones, waiting up to {@code wait} for it
     * to end (operators report them to the cluster only every few seconds while they run); else
     * the ones reported so far. Empty when the cluster cannot say.
     */
    public Map<String, Object> accumulators(Duration wait) {
        try {
            return client.getJobExecutionResult().get(wait.toMillis(), TimeUnit.MILLISECONDS).getAllAccumulatorResults();
        } catch (Exception stillRunning) {
            try {
                return client.getAccumulators().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                return Map.of();
            }
        }
    }

    public JobClient client() {
        return client;
    }

    private String failureOf() {
        try {
            client.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            return "";
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return ": " + root;
        }
    }

    /** Stops the job with a savepoint in {@code directory} and returns the savepoint's path. */
    public String stopWithSavepoint(String directory) throws Exception {
        return client.stopWithSavepoint(false, directory, SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
    }

    /** Cancels the job if it still runs and stops following. */
    @Override
    public void close() throws Exception {
        try {
            if (isRunning()) {
                client.cancel().get(30, TimeUnit.SECONDS);
            }
        } finally {
            follower.close();
        }
    }

    /** False once the job has ended (a local MiniCluster shuts down with its job and stops answering). */
    private boolean isRunning() {
        JobStatus status = status();
        return status != null && !status.isGloballyTerminalState();
    }
}
