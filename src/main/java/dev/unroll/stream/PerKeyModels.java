package dev.unroll.stream;

import dev.unroll.model.Sequence;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

import java.util.function.Supplier;

/**
 * A model per sequence key ({@code training.models: per-key}): no batcher, no loop, no single
 * instance anywhere on the training path.
 * <pre>
 *   sequences (P) -> decode (P) -> keyBy key -> trainer (P, keyed state) -> parameters (keyed by key)
 *                        +-> dead letters <-------------+ (no key, key limit, non-finite gradients)
 * </pre>
 * A key's batches are its sequences in the order read, so a key's records must reach the
 * trainer in that order: each source subtask reads its partitions in order and a keyBy edge
 * keeps the order of one sender, so it holds when every record of a key is in one partition
 * (as Kafka's default partitioner puts records with the same record key).
 */
final class PerKeyModels extends ModelLayout {
    /**
     * How long decoded sequences may wait to fill a network buffer. No update waits for a sequence
     * in a loop: a trickle's version comes 10 ms later at most, and the flusher no longer wakes a
     * thousand times a second (at P = 1 it took 0.4-0.5 CPU-s of a 10-s replay of 640,000
     * sequences, 0.02 at 10 ms).
     */
    static final long SEQUENCE_FLUSH_MS = 10;

    @Override
    public <T> T choose(Supplier<T> oneModel, Supplier<T> perKey) {
        return perKey.get();
    }

    @Override
    TrainingJob.Sequences decoded(StreamExecutionEnvironment env, TrainingSpec spec, Source<RawRecord, ?, ?> source) {
        int p = spec.shards();
        SingleOutputStreamOperator<SequenceItem> decoded = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "sequences").setParallelism(p).uid("sequences")
                .process(new DecodeSequences(spec, this)).name("decode").setParallelism(p).uid("decode")
                .setBufferTimeout(SEQUENCE_FLUSH_MS);
        return new TrainingJob.Sequences(decoded, decoded.getSideOutput(DecodeSequences.DEAD_LETTERS), null);
    }

    /** The sequence with the model it trains: its own {@code key}, else its record's key. */
    @Override
    Sequence keyed(Sequence seq, RawRecord record) {
        return DecodeSequences.withKey(seq, record);
    }

    /** Nothing waits for it: the dead letter is all. */
    @Override
    void rejected(RawRecord record, Collector<SequenceItem> out) {
    }

    /** Each key's sequences go to its trainer in the order they were cut. */
    @Override
    DataStream<SequenceItem> cutItems(SingleOutputStreamOperator<CutItem> cut, int parallelism) {
        return cut.map(c -> c.item(-1)).name("to train").setParallelism(parallelism).uid("cut-items");
    }

    /** The trainers, keyed by key, each publishing its keys' versions. */
    @Override
    SingleOutputStreamOperator<ParameterVersion> train(TrainingSpec spec, DataStream<SequenceItem> items,
                                                       VersionFeed versions, Sink<ParameterVersion> parameterSink) {
        int p = spec.shards();
        SingleOutputStreamOperator<ParameterVersion> published = items
                .keyBy(item -> item.key, Types.STRING)
                .transform("trainer", TypeInformation.of(ParameterVersion.class),
                        new KeyCountingOperator(new KeyedTrainer(spec)))
                .setParallelism(p).setMaxParallelism(TrainingSpec.MAX_SHARDS).uid("trainer");
        published.sinkTo(parameterSink).name("publish parameters").setParallelism(p).uid("parameters-sink");
        return published;
    }

    /**
     * Requests and versions both keyed by key, each key's newest version held where its requests
     * are answered.
     * <pre>
     *   requests (P) -> route (P, the key) -> keyBy key -+-> predict (P) -> predictions
     *   versions (1) ------------------> keyBy key -+        +-> dead letters (stage predict)
     * </pre>
     */
    @Override
    void serve(StreamExecutionEnvironment env, TrainingSpec spec, ServingJob.Wiring io,
               DataStream<RawRecord> requestRecords, long initialVersion) {
        int p = io.parallelism();
        SingleOutputStreamOperator<ParameterVersion> versions = ServingJob.versions(env, io)
                .filter(v -> v.key != null && spec.job().equals(v.job)).name("keyed versions").setParallelism(1)
                .uid("serving-keyed-versions");
        SingleOutputStreamOperator<KeyedRequest> requests = requestRecords
                .process(new RouteRequests(spec)).name("route requests").setParallelism(p).uid("route-requests");
        SingleOutputStreamOperator<PredictionRecord> predictions = requests
                .keyBy(r -> r.key, Types.STRING)
                .connect(versions.keyBy(v -> v.key, Types.STRING))
                .process(new PredictPerKey(spec)).name("predict").setParallelism(p)
                .setMaxParallelism(TrainingSpec.MAX_SHARDS).uid("predict-per-key");

        predictions.sinkTo(io.predictions()).name("predictions").setParallelism(p).uid("predictions-sink");
        requests.getSideOutput(DecodeSequences.DEAD_LETTERS)
                .union(predictions.getSideOutput(DecodeSequences.DEAD_LETTERS))
                .sinkTo(io.deadLetters()).name("prediction dead letters").setParallelism(p)
                .uid("predict-dead-letters-sink");
    }

    /** Each trainer holds its keys' models: there is no loop through the topic. */
    @Override
    public boolean waitsForVersions() {
        return false;
    }

    /** Every key's newest version stays. */
    @Override
    public boolean compactsParameters() {
        return true;
    }

    /** The compacted topic from its start holds every key's newest version. */
    @Override
    public boolean servesFromTopicStart() {
        return true;
    }

    /** Every key's updates: thousands a second. */
    @Override
    public boolean manyVersions() {
        return true;
    }

    @Override
    public boolean partitionsByKey() {
        return true;
    }
}
