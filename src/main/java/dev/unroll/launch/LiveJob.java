package dev.unroll.launch;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterCount;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A live training job as the commands run it: Kafka (an embedded broker, or servers that must
 * answer), the pipeline on a local MiniCluster, and a dead-letter count; then {@link #follow}
 * until a stop request, the caller's own end, the job's end or a stall.
 */
public final class LiveJob implements AutoCloseable {
    /** No new version for this long while sequences wait in the topic means the job is stuck. */
    static final Duration STALL = Duration.ofSeconds(120);
    private static final long STATUS_EVERY_NANOS = 2_000_000_000L;

    /**
     * Where Kafka is: {@code bootstrap} null starts an embedded broker with its data in
     * {@code brokerDir} (a temporary folder when null) on {@code port} (0: any free one).
     */
    public record Kafka(String bootstrap, Path brokerDir, int port) {
        public static Kafka embedded() {
            return new Kafka(null, null, 0);
        }
    }

    /** What a command does while the job runs. */
    public interface Watcher {
        /** Each new version, in order. */
        default void version(ParameterVersion v) {
        }

        /** After every poll, a few times a second; true ends the follow. */
        default boolean poll(ParameterVersion newest, double seconds) {
            return false;
        }
    }

    private final EmbeddedKafka broker;
    private final String servers;
    private final KafkaConnectors kafka;
    private final TrainingSpec spec;
    private final Pipeline.Topics topics;
    private final Pipeline pipeline;
    private final DeadLetterCount deadLetters;
    private volatile boolean stopping;

    private LiveJob(EmbeddedKafka broker, String servers, KafkaConnectors kafka, TrainingSpec spec,
                    Pipeline.Topics topics, Pipeline pipeline, DeadLetterCount deadLetters) {
        this.broker = broker;
        this.servers = servers;
        this.kafka = kafka;
        this.spec = spec;
        this.topics = topics;
        this.pipeline = pipeline;
        this.deadLetters = deadLetters;
    }

    /**
     * Starts Kafka, then the job with the spec {@code specFor} gives once Kafka is there (a warm
     * start may read it from a topic), on a MiniCluster showing what {@code monitoring} says (null: nothing
     * beyond Flink's defaults).
     */
    public static LiveJob start(JobConfig config, Kafka where, Function<KafkaConnectors, TrainingSpec> specFor,
                                Pipeline.Options options, LocalFlink.Monitoring monitoring) throws Exception {
        Configuration flink = options.flinkSettings(monitoring == null ? new Configuration() : monitoring.configuration());
        int port = where.port() == 0 ? 0 : LoopbackPorts.wantedOrFree(where.port());
        EmbeddedKafka broker = where.bootstrap() != null ? null
                : where.brokerDir() != null ? EmbeddedKafka.start(where.brokerDir(), port) : EmbeddedKafka.start(port);
        Pipeline pipeline = null;
        try {
            String servers = broker != null ? broker.bootstrapServers() : where.bootstrap();
            KafkaConnectors kafka = KafkaConnectors.of(servers, config);
            if (broker == null) {
                kafka.requireReachable();
            }
            TrainingSpec spec = specFor.apply(kafka);
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            pipeline = Pipeline.start(LocalFlink.create(spec.shards(), flink), spec, kafka, topics,
                    config.get(JobConfig.PARTITIONS), options);
            DeadLetterCount deadLetters = new DeadLetterCount(kafka.consumerProperties(), topics.deadLetters());
            return new LiveJob(broker, servers, kafka, spec, topics, pipeline, deadLetters);
        } catch (Exception | Error e) {
            if (pipeline != null) {
                pipeline.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    /**
     * Follows the job until {@code stop} is requested, the watcher ends it, or the job fails.
     * With a {@code feeder}, it hears of every version, its failures end the follow, and no new
     * version for {@link #STALL} while it has sequences waiting is a stall.
     *
     * @return the newest version seen (null if none)
     * @throws IllegalStateException when the job ended by itself or stalled
     */
    public ParameterVersion follow(StopSignal stop, Watcher watcher, SequenceFeeder feeder) throws Exception {
        long started = System.nanoTime();
        long lastVersionAt = started;
        long lastStatusAt = started;
        List<ParameterVersion> arrived = new ArrayList<>();
        ParameterVersion newest = pipeline.newest();
        while (true) {
            if (stop != null && stop.requested()) {
                stopping = true;
                return newest;
            }
            arrived.clear();
            pipeline.follow(arrived::add, Duration.ofMillis(100));
            long now = System.nanoTime();
            for (ParameterVersion v : arrived) {
                newest = v;
                lastVersionAt = now;
                if (feeder != null) {
                    feeder.trained(v.sequencesTrained);
                }
                watcher.version(v);
            }
            if (watcher.poll(newest, (now - started) / 1e9)) {
                return newest;
            }
            if (feeder != null) {
                feeder.check();
            }
            if (now - lastStatusAt >= STATUS_EVERY_NANOS) {
                lastStatusAt = now;
                JobStatus status = pipeline.status();
                if (status == null || status.isGloballyTerminalState()) {
                    throw new IllegalStateException("the Flink job ended (" + status + ") at version "
                            + (newest == null ? 0 : newest.version));
                }
                long trained = newest == null ? 0 : newest.sequencesTrained;
                if (feeder != null && now - lastVersionAt > STALL.toNanos() && feeder.produced() > trained) {
                    throw new IllegalStateException("no new parameter version for " + STALL.toSeconds() + " s although "
                            + (feeder.produced() - trained) + " sequences wait in the topic (job " + status + ")");
                }
            }
        }
    }

    /**
     * Every key's newest version on the (compacted) parameters topic, from its start: the models of
     * earlier runs too.
     */
    public NewestPerKey everyKey() {
        NewestPerKey models = new NewestPerKey();
        kafka.parametersTopic(topics.parameters(), spec.job(), spec.network(), spec.limits())
                .history(null, true, Duration.ofSeconds(60)).versions().forEach(models::add);
        return models;
    }

    public String servers() {
        return servers;
    }

    public boolean embedded() {
        return broker != null;
    }

    public KafkaConnectors kafka() {
        return kafka;
    }

    public TrainingSpec spec() {
        return spec;
    }

    public Pipeline.Topics topics() {
        return topics;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    /**
     * Dead letters since the job started: as of the last answer (at most a second old), or with
     * {@code now} asking the broker now, for the last line of a run.
     */
    public long deadLetters(boolean now) {
        return now ? deadLetters.countNow() : deadLetters.count();
    }

    /** Cancels the job and stops Kafka; after a stop request Flink's own hooks may be tearing down already. */
    @Override
    public void close() throws Exception {
        try (EmbeddedKafka b = broker; DeadLetterCount d = deadLetters) {
            pipeline.close();
        } catch (Exception e) {
            if (!stopping) {
                throw e;
            }
        }
    }
}
