package dev.unroll.stream;

import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Answers each request (a sequence, targets optional) with the newest parameter version this
 * instance has: the forward pass of {@link Prediction}, tagged with the version. Versions arrive
 * as broadcast state and replace the one in use between two requests, so a new version needs no
 * restart and a request never waits for training: before the first version arrives, requests are
 * answered with version 0, the job's network.
 *
 * <p>A bad request (unreadable, invalid against the network, or with outputs that are not finite
 * numbers) is dead-lettered with stage {@code predict}; nothing is thrown, so the job goes on.
 */
public class PredictSequences extends BroadcastProcessFunction<RawRecord, ParameterVersion, PredictionRecord> {
    /** The newest version of the job, under the job's name. */
    public static final MapStateDescriptor<String, ParameterVersion> NEWEST =
            new MapStateDescriptor<>("newest-version", String.class, ParameterVersion.class);
    public static final String STAGE = "predict";

    private final TrainingSpec spec;
    private final long initialVersion;
    private transient Network structure;
    /** the network of {@link #inUse}, built once per version rather than per request */
    private transient Network network;
    private transient long inUse;
    private transient Counter answered;
    private transient Counter rejected;

    /** Answers with {@code spec}'s network, version 0, until a version arrives. */
    public PredictSequences(TrainingSpec spec) {
        this(spec, 0);
    }

    /** Answers with {@code spec}'s network, named {@code initialVersion}, until a newer version arrives. */
    public PredictSequences(TrainingSpec spec, long initialVersion) {
        this.spec = spec;
        this.initialVersion = initialVersion;
    }

    @Override
    public void open(OpenContext context) {
        structure = spec.network();
        network = structure;
        inUse = initialVersion;
        answered = getRuntimeContext().getMetricGroup().counter("predictions");
        rejected = getRuntimeContext().getMetricGroup().counter("predictionDeadLetters");
        getRuntimeContext().getMetricGroup().gauge("servingVersion", () -> inUse);
    }

    @Override
    public void processElement(RawRecord request, ReadOnlyContext ctx, Collector<PredictionRecord> out) throws Exception {
        ParameterVersion newest = ctx.getBroadcastState(NEWEST).get(spec.job());
        if (newest != null && newest.version > inUse) {
            network = structure.withParameters(newest.parameters());
            inUse = newest.version;
        }
        RecordText.Parsed<Prediction> parsed = RecordText.parseSequence(request, spec.maxRecordBytes(), network, spec.limits(),
                true, seq -> Prediction.of(network, seq));
        if (parsed.problem() == null && parsed.value().isFinite()) {
            answered.inc();
            out.collect(new PredictionRecord(request, inUse, parsed.value()));
            return;
        }
        String problem = parsed.problem() != null ? parsed.problem()
                : request.origin() + ": the outputs are not finite numbers at version " + inUse;
        rejected.inc();
        ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(request.topic, request.partition, request.offset,
                request.key, request.value, STAGE, problem));
    }

    /** Keeps the highest version of this job: the topic is at-least-once, so versions may repeat. */
    @Override
    public void processBroadcastElement(ParameterVersion version, Context ctx, Collector<PredictionRecord> out)
            throws Exception {
        if (!spec.job().equals(version.job)) {
            return;
        }
        BroadcastState<String, ParameterVersion> state = ctx.getBroadcastState(NEWEST);
        ParameterVersion held = state.get(spec.job());
        if ((held == null ? initialVersion : held.version) < version.version) {
            state.put(spec.job(), version);
        }
    }
}
