package dev.unroll.stream;

import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
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
 * Shard s of every batch goes to BPTT instance s. That is one model's graph ({@link OneModel}); per-key models
 * ({@link PerKeyModels}) have one of their own. {@link ModelLayout#of} picks the layout once, here, and the layout
 * wires what differs.
 */
public final class TrainingJob {
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
        ModelLayout layout = ModelLayout.of(spec);
        Sequences in = input instanceof TrainingInput.Events events
                ? EventStages.sequences(env, spec, layout, events, serving != null)
                : layout.decoded(env, spec, ((TrainingInput.Sequences) input).source());
        SingleOutputStreamOperator<?> trained = layout.train(spec, in.items(), versions, parameterSink);
        in.deadLetters().union(trained.getSideOutput(DecodeSequences.DEAD_LETTERS))
                .sinkTo(deadLetterSink).name("dead letters").setParallelism(1).uid("dead-letters-sink");
        if (serving != null) {
            ServingJob.build(env, spec, layout, serving, in.windows());
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
}
