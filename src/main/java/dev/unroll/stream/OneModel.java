package dev.unroll.stream;

import dev.unroll.model.Sequence;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

import java.util.function.Supplier;

/**
 * One model that every sequence trains: batch k is the k-th B valid sequences in the order the
 * source reads them, BPTT instances take their gradients at the versions the single aggregator
 * publishes, and every request is answered with the newest version.
 */
final class OneModel extends ModelLayout {
    /**
     * How long decoded sequences may wait to fill a network buffer. The loop's own hops flush at
     * once (the job's buffer timeout, 0 by default); this edge carries every sequence, and flushing
     * each one on its own costs more than its decoding. One millisecond is all a trickle waits.
     */
    static final long SEQUENCE_FLUSH_MS = 1;

    @Override
    public <T> T choose(Supplier<T> oneModel, Supplier<T> perKey) {
        return oneModel.get();
    }

    @Override
    TrainingJob.Sequences decoded(StreamExecutionEnvironment env, TrainingSpec spec, Source<RawRecord, ?, ?> source) {
        DataStream<RawRecord> numbered = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "sequences").setParallelism(1).uid("sequences")
                .process(new NumberRecords()).name("number").setParallelism(1).uid("number")
                .setBufferTimeout(SEQUENCE_FLUSH_MS);
        // decoding is most of the job's work outside BPTT: it runs at the BPTT's parallelism,
        // record n on decoder n % P, and the batcher puts the records back in read order
        SingleOutputStreamOperator<SequenceItem> decoded = (spec.shards() == 1 ? numbered
                : numbered.partitionCustom((position, decoders) -> (int) (position % decoders), r -> r.position))
                .process(new DecodeSequences(spec, this)).name("decode").uid("decode")
                .setParallelism(spec.shards()).setMaxParallelism(TrainingSpec.MAX_SHARDS)
                .setBufferTimeout(SEQUENCE_FLUSH_MS);
        return new TrainingJob.Sequences(decoded, decoded.getSideOutput(DecodeSequences.DEAD_LETTERS), null);
    }

    /** Any sequence trains the one model: a key, if it has one, is left as it is. */
    @Override
    Sequence keyed(Sequence seq, RawRecord record) {
        return seq;
    }

    /** The batcher still hears of it: decoders run in parallel, and it puts records back in order. */
    @Override
    void rejected(RawRecord record, Collector<SequenceItem> out) {
        out.collect(SequenceItem.rejected(record));
    }

    /** Every key's sequences in one order (closing time, key, count), numbered for the batcher. */
    @Override
    DataStream<SequenceItem> cutItems(SingleOutputStreamOperator<CutItem> cut, int parallelism) {
        return cut.keyBy(c -> 0, Types.INT).process(new OrderSequences()).name("order").setParallelism(1).uid("order");
    }

    /** The batcher, the BPTT instances and the aggregator, ending in the parameters sink. */
    @Override
    SingleOutputStreamOperator<ShardGradient> train(TrainingSpec spec, DataStream<SequenceItem> items,
                                                    VersionFeed versions, Sink<ParameterVersion> parameterSink) {
        DataStream<Shard> shards = items
                .keyBy(item -> 0, Types.INT)
                .process(new Batcher(spec)).name("batcher").setParallelism(1).uid("batcher");

        SingleOutputStreamOperator<ShardGradient> gradients = shards
                .partitionCustom((shard, instances) -> shard % instances, shard -> shard.shard)
                .process(new BpttShard(spec, versions)).name("bptt").uid("bptt")
                .setParallelism(spec.shards()).setMaxParallelism(TrainingSpec.MAX_SHARDS);

        gradients
                .keyBy(g -> 0, Types.INT)
                .process(new AggregateGradients(spec)).name("aggregate").setParallelism(1).uid("aggregate")
                .sinkTo(parameterSink).name("publish parameters").setParallelism(1).uid("parameters-sink");
        return gradients;
    }

    /** Every predictor holds the newest version, broadcast to all of them. */
    @Override
    void serve(StreamExecutionEnvironment env, TrainingSpec spec, ServingJob.Wiring io, DataStream<RawRecord> requests,
               long initialVersion) {
        BroadcastStream<ParameterVersion> versions = ServingJob.versions(env, io).broadcast(PredictSequences.GATE);

        SingleOutputStreamOperator<PredictionRecord> predictions = requests
                .connect(versions)
                .process(new PredictSequences(spec, initialVersion)).name("predict").setParallelism(io.parallelism()).uid("predict");

        predictions.sinkTo(io.predictions()).name("predictions").setParallelism(io.parallelism()).uid("predictions-sink");
        predictions.getSideOutput(DecodeSequences.DEAD_LETTERS)
                .sinkTo(io.deadLetters()).name("prediction dead letters").setParallelism(io.parallelism())
                .uid("predict-dead-letters-sink");
    }

    @Override
    public boolean waitsForVersions() {
        return true;
    }

    /** Every version stays: the topic is the model's history. */
    @Override
    public boolean compactsParameters() {
        return false;
    }

    /** Serving starts with the newest version and follows the later ones. */
    @Override
    public boolean servesFromTopicStart() {
        return false;
    }

    /** One version per update, or one producer batch per 20 ms. */
    @Override
    public boolean manyVersions() {
        return false;
    }

    @Override
    public boolean partitionsByKey() {
        return false;
    }
}
