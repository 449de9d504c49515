package dev.unroll.launch;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaTopics;
import dev.unroll.kafka.ServingTopics;
import dev.unroll.model.Network;
import dev.unroll.record.EventRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ModelLayout;
import dev.unroll.stream.ParseEvents;
import dev.unroll.stream.ServingJob;
import dev.unroll.stream.TrainingInput;
import dev.unroll.stream.TrainingJob;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The one place a job is defined, whatever starts it: its topics created where missing and its
 * graph set up on a Flink environment, for a {@link Mode}. The commands run it on a local
 * MiniCluster of their own ({@code run}, {@code demo} and {@code load} through {@link LiveJob},
 * {@code replay} through {@link Replay}, both via {@link Pipeline#start}; {@code serve} through
 * {@link Serving#start}); a cluster's client runs it on the cluster's environment
 * ({@link ClusterJob}). {@link Pipeline} follows a submitted training job from outside.
 */
public final class JobRunner {
    /** What a job does: train and answer requests, only train, or only answer. */
    public enum Mode { all, train, serve }

    private JobRunner() {
    }

    /**
     * A cluster submission in {@code mode}, with {@code parallelism} instances (null: the job's
     * {@code stream.parallelism}), checkpointed and started as {@code run} starts a live job.
     */
    public static void define(StreamExecutionEnvironment env, JobConfig config, Network initial, KafkaConnectors kafka,
                              Mode mode, Integer parallelism) {
        if (mode == Mode.serve) {
            defineServing(env, config, initial, kafka, new Serving.Parameters.FromTopic(), parallelism);
            return;
        }
        TrainingSpec spec = TrainingSpec.of(config, initial,
                parallelism != null ? parallelism : config.get(JobConfig.PARALLELISM));
        Pipeline.Topics all = Pipeline.Topics.of(config);
        Pipeline.Topics topics = mode == Mode.train ? new Pipeline.Topics(all.sequences(), all.parameters(),
                all.deadLetters()) : all;
        defineTraining(env, spec, kafka, topics, config.get(JobConfig.PARTITIONS), Pipeline.Options.live(config));
    }

    /**
     * The training job, and beside it the prediction path when {@code topics} name serving topics
     * and the input is unbounded; its topics created first ({@code partitions} for the input and the
     * requests), the parameters topic compacted where the layout keeps every key's newest version.
     */
    public static void defineTraining(StreamExecutionEnvironment env, TrainingSpec spec, KafkaConnectors kafka,
                                      Pipeline.Topics topics, int partitions, Pipeline.Options options) {
        ModelLayout layout = ModelLayout.of(spec);
        KafkaTopics.ensure(kafka.producerProperties(), topics.sequences(), partitions);
        KafkaTopics.ensure(kafka.producerProperties(), topics.parameters(), 1, layout.compactsParameters());
        KafkaTopics.ensure(kafka.producerProperties(), topics.deadLetters(), 1);
        if (topics.serving() != null) {
            topics.serving().ensure(kafka.producerProperties(), partitions);
        }
        env.setBufferTimeout(options.bufferTimeoutMs());
        // chained operators (source -> decode, aggregate -> sink) neither keep nor change their inputs, so they may
        // pass them on uncopied; records that cross the network are always fresh objects (the batcher keeps those)
        env.getConfig().enableObjectReuse();
        if (options.checkpointIntervalMs() > 0) {
            env.enableCheckpointing(options.checkpointIntervalMs());
            env.configure(options.durability().flinkConfig());
        }
        String group = "unroll." + spec.job();
        // requests and versions for serving from now on (a restored job resumes from its checkpointed offsets)
        long since = System.currentTimeMillis();
        TrainingInput input = spec.events() == null
                ? new TrainingInput.Sequences(kafka.sequences(topics.sequences(), group, options.from(), options.boundedAt()))
                : new TrainingInput.Events(kafka.parsed(topics.sequences(), group, options.from(), options.boundedAt(),
                        new ParseEvents(spec), EventRecord.class), options.boundedAt() == null);
        TrainingJob.build(env, spec, input,
                kafka.versionFeed(topics.parameters()),
                kafka.parameterSink(topics.parameters(), spec, versionsWaitedFor(env, spec)),
                kafka.deadLetterSink(topics.deadLetters()),
                // a bounded run (replay) answers no requests: it must end at the end of its input
                topics.serving() == null || options.boundedAt() != null ? null : kafka.serving(spec, topics.serving(),
                        layout.servesFromTopicStart() ? OffsetsInitializer.earliest()
                                : OffsetsInitializer.timestamp(since), since,
                        spec.shards()));
    }

    /**
     * The prediction path alone, with {@code parallelism} instances (null: the job's), answering
     * with {@code parameters}; its topics are created last, so that a client that waits for them
     * knows its requests will be read.
     */
    public static Serving.Defined defineServing(StreamExecutionEnvironment env, JobConfig config, Network initial,
                                                KafkaConnectors kafka, Serving.Parameters parameters,
                                                Integer parallelism) {
        long since = System.currentTimeMillis();
        ServingTopics topics = ServingTopics.of(config);
        ServingStart start = ServingStart.fromTopic(config, initial, kafka);
        Network served = parameters instanceof Serving.Parameters.Fixed f ? f.network() : start.network();
        long version = parameters instanceof Serving.Parameters.Fixed f ? f.version() : start.version();
        TrainingSpec spec = TrainingSpec.forJob(config, served, parallelism);
        ServingJob.Wiring wiring = kafka.serving(spec, topics, start.versionsFrom(), since, spec.shards());
        if (parameters instanceof Serving.Parameters.FixedPerKey keyed) {
            wiring = wiring.withVersions(ServingJob.fixedPerKey(spec.job(), keyed.models()));
        } else if (parameters instanceof Serving.Parameters.Fixed) {
            wiring = wiring.withVersions(ServingJob.fixed(spec.job(), version, served.parameters()));
        }
        topics.ensureAll(kafka.producerProperties(), config.get(JobConfig.PARTITIONS));
        env.setBufferTimeout(config.get(JobConfig.BUFFER_TIMEOUT));
        ServingJob.build(env, spec, wiring, version);
        return new Serving.Defined(version, spec.shards());
    }

    /**
     * Whether a BPTT instance may wait for versions on the parameters topic: where the layout waits
     * for versions, unless every instance runs in the aggregator's JVM (a local environment: the
     * embedded MiniCluster) and takes them from its {@link dev.unroll.stream.VersionBoard}.
     */
    static boolean versionsWaitedFor(StreamExecutionEnvironment env, TrainingSpec spec) {
        return ModelLayout.of(spec).waitsForVersions()
                && !(env instanceof LocalStreamEnvironment && spec.inProcessVersions());
    }
}
