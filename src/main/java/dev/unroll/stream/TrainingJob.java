package dev.unroll.stream;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job graph, wired from injected sources and sinks so tests and commands can swap them:
 * <pre>
 *   sequences -> decode -+-> batcher -> bptt (P, + parameter versions broadcast) -> aggregate -> parameters
 *                        +-> dead letters <- (non-finite gradients from bptt)
 *   requests -> predict (+ the newest version) -> predictions     (ServingJob, when wired)
 * </pre>
 * Decode and batcher run as one instance each so that batch k is the k-th B sequences in the
 * order the source reads them; the aggregator is one instance so updates form one sequence.
 */
public final class TrainingJob {
    private TrainingJob() {
    }

    public static void build(StreamExecutionEnvironment env, TrainingSpec spec,
                             Source<RawRecord, ?, ?> sequenceSource,
                             Source<ParameterVersion, ?, ?> parameterSource,
                             Sink<ParameterVersion> parameterSink,
                             Sink<DeadLetter> deadLetterSink,
                             ServingJob.Wiring serving) {
        SingleOutputStreamOperator<SequenceItem> decoded = env
                .fromSource(sequenceSource, WatermarkStrategy.noWatermarks(), "sequences").setParallelism(1).uid("sequences")
                .process(new DecodeSequences(spec)).name("decode").setParallelism(1).uid("decode");

        DataStream<Shard> shards = decoded
                .keyBy(item -> 0, Types.INT)
                .process(new Batcher(spec)).name("batcher").setParallelism(1).uid("batcher");

        BroadcastStream<ParameterVersion> versions = env
                .fromSource(parameterSource, WatermarkStrategy.noWatermarks(), "parameter versions")
                .setParallelism(1).uid("parameter-versions")
                .broadcast(BpttShard.VERSIONS);

        SingleOutputStreamOperator<ShardGradient> gradients = shards
                .keyBy(shard -> shard.key, Types.INT)
                .connect(versions)
                .process(new BpttShard(spec)).name("bptt").uid("bptt")
                .setParallelism(spec.shards()).setMaxParallelism(ShardKeys.MAX_PARALLELISM);

        gradients
                .keyBy(g -> 0, Types.INT)
                .process(new AggregateGradients(spec)).name("aggregate").setParallelism(1).uid("aggregate")
                .sinkTo(parameterSink).name("publish parameters").setParallelism(1).uid("parameters-sink");

        decoded.getSideOutput(DecodeSequences.DEAD_LETTERS)
                .union(gradients.getSideOutput(DecodeSequences.DEAD_LETTERS))
                .sinkTo(deadLetterSink).name("dead letters").setParallelism(1).uid("dead-letters-sink");

        if (serving != null) {
            ServingJob.build(env, spec, serving);
        }
    }
}
