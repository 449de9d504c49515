package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Sequence;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

import java.io.Serializable;
import java.util.function.Supplier;

/**
 * How a job's models are laid out: one model that every sequence trains ({@link OneModel}), or a
 * model per sequence key ({@link PerKeyModels}, {@code training.models: per-key}). {@link #of} is
 * the one place that reads the setting; the job graph, the launch layer and the commands ask the
 * layout it chose instead of the setting, so that what differs between the two stays in these two
 * classes. Serializable: the decoder carries it to the task managers.
 */
public abstract sealed class ModelLayout implements Serializable permits OneModel, PerKeyModels {
    ModelLayout() {
    }

    /** The layout of a job's models, as its spec says. */
    public static ModelLayout of(TrainingSpec spec) {
        return spec.isPerKey() ? new PerKeyModels() : new OneModel();
    }

    /** The layout of a job's models, as its file says. */
    public static ModelLayout of(JobConfig config) {
        return config.perKey() ? new PerKeyModels() : new OneModel();
    }

    /**
     * Of two implementations a layer above keeps for the two layouts (the commands' own, which this
     * package cannot name), the one for this layout.
     */
    public abstract <T> T choose(Supplier<T> oneModel, Supplier<T> perKey);

    // The job graph (TrainingJob, EventStages, ServingJob): uids and shapes are the savepoints' contract.

    /** The records of the sequences source, decoded into what training takes, with their dead letters. */
    abstract TrainingJob.Sequences decoded(StreamExecutionEnvironment env, TrainingSpec spec,
                                           Source<RawRecord, ?, ?> source);

    /**
     * A decoded record's sequence as this layout trains it.
     *
     * @throws dev.unroll.model.ModelException naming the record when it cannot be trained so (no key to name a model)
     */
    abstract Sequence keyed(Sequence seq, RawRecord record);

    /** Tells the training path of a record that did not decode, where it waits for every record in turn. */
    abstract void rejected(RawRecord record, Collector<SequenceItem> out);

    /** The sequences cut from events, in the order training takes them. */
    abstract DataStream<SequenceItem> cutItems(SingleOutputStreamOperator<CutItem> cut, int parallelism);

    /**
     * The training path, from the decoded items to the parameters sink; its operator's
     * {@link DecodeSequences#DEAD_LETTERS} are the sequences whose gradient was not finite.
     */
    abstract SingleOutputStreamOperator<?> train(TrainingSpec spec, DataStream<SequenceItem> items, VersionFeed versions,
                                                 Sink<ParameterVersion> parameterSink);

    /** The prediction path from the requests on: which model answers a request, and its predictions and dead letters. */
    abstract void serve(StreamExecutionEnvironment env, TrainingSpec spec, ServingJob.Wiring io,
                        DataStream<RawRecord> requests, long initialVersion);

    // What the launch layer asks of the layout.

    /** Whether BPTT instances wait for the versions the job publishes (the one model's loop). */
    public abstract boolean waitsForVersions();

    /** Whether the parameters topic is compacted, keeping every key's newest version. */
    public abstract boolean compactsParameters();

    /**
     * Whether serving reads the parameters topic from its start (where the compacted topic keeps
     * every key's newest version) rather than from the newest version on.
     */
    public abstract boolean servesFromTopicStart();

    /** Whether versions come thousands a second (every key's updates), so that a follower reads them in bulk. */
    public abstract boolean manyVersions();

    /**
     * Whether a recorded input goes to a partition per subtask, each key's records in one of them
     * (per key), rather than to one partition whose order makes the batches.
     */
    public abstract boolean partitionsByKey();
}
