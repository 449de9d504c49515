package dev.unroll.stream;

import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.ServingGate;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Answers each request (a sequence, targets optional) with the version the job's
 * {@link ServingGate} lets answer (the newest one, unless {@code serving.gateFactor} is set): the
 * forward pass of {@link Prediction}, tagged with the version and, when a newer one failed the
 * gate, that one's number. Versions arrive as broadcast state and replace the one in use between
 * two requests, so a new version needs no restart and a request never waits for training: before
 * the first version arrives, requests are answered with version 0, the job's network.
 *
 * <p>With {@code serving.maxModelAgeMs}, an answer by a version older than that is flagged stale,
 * or dead-lettered instead ({@link StaleAnswers}).
 *
 * <p>A bad request (unreadable, invalid against the network, or with outputs that are not finite
 * numbers) is dead-lettered with stage {@code predict}; nothing is thrown, so the job goes on.
 */
public class PredictSequences extends BroadcastProcessFunction<RawRecord, ParameterVersion, PredictionRecord> {
    /** The serving gate of the job, under the job's name. */
    public static final MapStateDescriptor<String, ServingGate> GATE =
            new MapStateDescriptor<>("serving-gate", String.class, ServingGate.class);
    public static final String STAGE = "predict";

    private final TrainingSpec spec;
    private final long initialVersion;
    private transient Network structure;
    /** the network of {@link #inUse}, built once per version rather than per request */
    private transient Network network;
    private transient long inUse;
    private transient StaleAnswers stale;
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
        stale = new StaleAnswers(spec.serving(), getRuntimeContext().getMetricGroup());
        getRuntimeContext().getMetricGroup().gauge("servingVersion", () -> inUse);
    }

    @Override
    public void processElement(RawRecord request, ReadOnlyContext ctx, Collector<PredictionRecord> out) throws Exception {
        ServingGate gate = ctx.getBroadcastState(GATE).get(spec.job());
        ParameterVersion serving = gate == null ? null : gate.serving;
        if (gate != null && gate.servingVersion != inUse) {
            network = serving == null ? structure : structure.withParameters(serving.parameters());
            inUse = gate.servingVersion;
        }
        RecordText.Parsed<Prediction> parsed = RecordText.parseSequence(request, spec.maxRecordBytes(), network, spec.limits(),
                true, seq -> Prediction.of(network, seq));
        if (parsed.problem() == null && parsed.value().isFinite()) {
            PredictionRecord answer = new PredictionRecord(request, inUse, parsed.value());
            answer.heldBack = gate == null ? -1 : gate.heldBack;
            DeadLetter tooOld = stale.judge(answer, serving, request, "");
            if (tooOld != null) {
                rejected.inc();
                ctx.output(DecodeSequences.DEAD_LETTERS, tooOld);
                return;
            }
            answered.inc();
            out.collect(answer);
            return;
        }
        String problem = parsed.problem() != null ? parsed.problem()
                : request.origin() + ": the outputs are not finite numbers at version " + inUse;
        rejected.inc();
        ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(request.topic, request.partition, request.offset,
                request.key, request.value, STAGE, problem));
    }

    /** Offers the job's versions to its gate: the topic is at-least-once, so versions may repeat, and the gate skips those. */
    @Override
    public void processBroadcastElement(ParameterVersion version, Context ctx, Collector<PredictionRecord> out)
            throws Exception {
        if (!spec.job().equals(version.job)) {
            return;
        }
        BroadcastState<String, ServingGate> state = ctx.getBroadcastState(GATE);
        ServingGate gate = state.get(spec.job());
        if (gate == null) {
            gate = ServingGate.startingAt(initialVersion);
        }
        gate.offer(version, spec.serving().gateFactor());
        state.put(spec.job(), gate);
    }
}
