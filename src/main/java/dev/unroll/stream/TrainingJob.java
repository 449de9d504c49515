package dev.unroll.stream;

import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
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

/**
 * The job graph, wired from injected sources and sinks so tests and commands can swap them:
 * <pre>
 *   sequences -> number -> decode (P) -+-> batcher -> bptt (P, reads the version feed) -> aggregate -> parameters
 *                                      +-> dead letters <- (non-finite gradients from bptt)
 *   requests -> predict (+ the newest version) -> predictions     (ServingJob, when wired)
 * </pre>
 * The source numbers records as it reads them and the batcher, one instance, puts them back in
 * that order after the parallel decoders, so that batch k is the k-th B valid sequences in the
 * order the source reads them; the aggregator is one instance so updates form one sequence.
 * Shard s of every batch goes to BPTT instance s.
 */
public final class TrainingJob {
    /**
     * How long decoded sequences may wait to fill a network buffer. The loop's own hops flush at
     * once (the job's buffer timeout, 0 by default); this edge carries every sequence, and flushing
     * each one on its own costs more than its decoding. One millisecond is all a trickle waits.
     */
    static final long SEQUENCE_FLUSH_MS = 1;
    /**
     * The same for per-key models, where no update waits for a sequence in a loop: a trickle's
     * version comes 10 ms later at most, and the flusher no longer wakes a thousand times a second
     * (at P = 1 it took 0.4-0.5 CPU-s of a 10-s replay of 640,000 sequences, 0.02 at 10 ms).
     */
    static final long PER_KEY_SEQUENCE_FLUSH_MS = 10;

    private TrainingJob() {
    }

    /** The job over records that each hold a sequence. */
    public static void build(StreamExecutionEnvironment env, TrainingSpec spec,
                             Source<RawRecord, ?, ?> sequenceSource,
                             VersionFeed versions,
                             Sink<ParameterVersion> parameterSink,
                             Sink<DeadLetter> deadLetterSink,
                             ServingJob.Wiring serving) {
        build(env, spec, new TrainingInput.Sequences(sequenceSource), versions, parameterSink, deadLetterSink, serving);
    }

    public static void build(StreamExecutionEnvironment env, TrainingSpec spec,
                             TrainingInput input,
                             VersionFeed versions,
                             Sink<ParameterVersion> parameterSink,
                             Sink<DeadLetter> deadLetterSink,
                             ServingJob.Wiring serving) {
        Sequences in = input instanceof TrainingInput.Events events
                ? EventStages.sequences(env, spec, events, serving != null)
                : spec.isPerKey() ? decodedPerKey(env, spec, ((TrainingInput.Sequences) input).source())
                : decoded(env, spec, ((TrainingInput.Sequences) input).source());
        SingleOutputStreamOperator<?> trained = spec.isPerKey() ? trainPerKey(spec, in.items(), parameterSink)
                : trainOneModel(spec, in.items(), versions, parameterSink);
        in.deadLetters().union(trained.getSideOutput(DecodeSequences.DEAD_LETTERS))
                .sinkTo(deadLetterSink).name("dead letters").setParallelism(1).uid("dead-letters-sink");
        if (serving != null) {
            ServingJob.build(env, spec, serving, in.windows());
        }
    }

    /**
     * The sequences to train and what was dead-lettered on the way.
     *
     * @param items   one model: every record's place in read order (the batcher restores it); per key: each
     *                key's sequences in its order
     * @param windows requests to answer as windows of events close (an events input only), or null
     */
    record Sequences(DataStream<SequenceItem> items, DataStream<DeadLetter> deadLetters, DataStream<RawRecord> windows) {
    }

    private static Sequences decoded(StreamExecutionEnvironment env, TrainingSpec spec, Source<RawRecord, ?, ?> source) {
        DataStream<RawRecord> numbered = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "sequences").setParallelism(1).uid("sequences")
                .process(new NumberRecords()).name("number").setParallelism(1).uid("number")
                .setBufferTimeout(SEQUENCE_FLUSH_MS);
        // decoding is most of the job's work outside BPTT: it runs at the BPTT's parallelism,
        // record n on decoder n % P, and the batcher puts the records back in read order
        SingleOutputStreamOperator<SequenceItem> decoded = (spec.shards() == 1 ? numbered
                : numbered.partitionCustom((position, decoders) -> (int) (position % decoders), r -> r.position))
                .process(new DecodeSequences(spec)).name("decode").uid("decode")
                .setParallelism(spec.shards()).setMaxParallelism(TrainingSpec.MAX_SHARDS)
                .setBufferTimeout(SEQUENCE_FLUSH_MS);
        return new Sequences(decoded, decoded.getSideOutput(DecodeSequences.DEAD_LETTERS), null);
    }

    /** One model: the batcher, the BPTT instances and the aggregator, ending in the parameters sink. */
    private static SingleOutputStreamOperator<ShardGradient> trainOneModel(TrainingSpec spec, DataStream<SequenceItem> items,
                                                                         VersionFeed versions,
                                                                         Sink<ParameterVersion> parameterSink) {
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

    /**
     * Per-key models: no batcher, no loop, no single instance anywhere on the training path.
     * <pre>
     *   sequences (P) -> decode (P) -> keyBy key -> trainer (P, keyed state) -> parameters (keyed by key)
     *                        +-> dead letters <-------------+ (no key, key limit, non-finite gradients)
     * </pre>
     * A key's batches are its sequences in the order read, so a key's records must reach the
     * trainer in that order: each source subtask reads its partitions in order and a keyBy edge
     * keeps the order of one sender, so it holds when every record of a key is in one partition
     * (as Kafka's default partitioner puts records with the same record key).
     */
    private static Sequences decodedPerKey(StreamExecutionEnvironment env, TrainingSpec spec,
                                           Source<RawRecord, ?, ?> source) {
        int p = spec.shards();
        SingleOutputStreamOperator<SequenceItem> decoded = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "sequences").setParallelism(p).uid("sequences")
                .process(new DecodeSequences(spec)).name("decode").setParallelism(p).uid("decode")
                .setBufferTimeout(PER_KEY_SEQUENCE_FLUSH_MS);
        return new Sequences(decoded, decoded.getSideOutput(DecodeSequences.DEAD_LETTERS), null);
    }

    private static SingleOutputStreamOperator<ParameterVersion> trainPerKey(TrainingSpec spec, DataStream<SequenceItem> items,
                                                                           Sink<ParameterVersion> parameterSink) {
        int p = spec.shards();
        SingleOutputStreamOperator<ParameterVersion> versions = items
                .keyBy(item -> item.key, Types.STRING)
                .transform("trainer", TypeInformation.of(ParameterVersion.class),
                        new KeyCountingOperator(new KeyedTrainer(spec)))
                .setParallelism(p).setMaxParallelism(TrainingSpec.MAX_SHARDS).uid("trainer");
        versions.sinkTo(parameterSink).name("publish parameters").setParallelism(p).uid("parameters-sink");
        return versions;
    }
}
