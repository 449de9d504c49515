package dev.unroll.stream;

import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.format.SequenceCodec;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.ServingGate;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import dev.unroll.format.Json;

/**
 * With per-key models, answers each request with the version its key's {@link ServingGate} lets
 * answer (the key's newest, unless {@code serving.gateFactor} is set): requests and versions are
 * both keyed by key, so a key's gate is kept (in keyed state) only where that key's requests
 * arrive, not broadcast to every instance. A key with no version yet is answered with the job's
 * network, version 0. Versions may repeat (an at-least-once topic): the gate skips those. Answers
 * by a version too old are flagged or dead-lettered as in {@link PredictSequences}.
 */
public class PredictPerKey extends KeyedCoProcessFunction<String, KeyedRequest, ParameterVersion, PredictionRecord> {
    private final TrainingSpec spec;
    private transient Network structure;
    private transient ValueState<ServingGate> gate;
    private transient StaleAnswers stale;
    private transient Counter answered;
    private transient Counter rejected;

    public PredictPerKey(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        structure = spec.network();
        gate = getRuntimeContext().getState(KeyedTrainer.ttl(spec,
                new ValueStateDescriptor<>("gate-of-key", ServingGate.class)));
        answered = getRuntimeContext().getMetricGroup().counter("predictions");
        rejected = getRuntimeContext().getMetricGroup().counter("predictionDeadLetters");
        stale = new StaleAnswers(spec.serving(), getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement1(KeyedRequest r, Context ctx, Collector<PredictionRecord> out) throws Exception {
        ServingGate g = gate.value();
        ParameterVersion v = g == null ? null : g.serving;
        Network net = v == null ? structure : structure.withParameters(v.parameters());
        long version = v == null ? 0 : v.version;
        Prediction p = Prediction.of(net, SequenceCodec.decode(r.sequence));
        String of = " of key " + Json.write(r.key);
        if (p.isFinite()) {
            PredictionRecord answer = new PredictionRecord(r.request, version, p);
            answer.heldBack = g == null ? -1 : g.heldBack;
            DeadLetter tooOld = stale.judge(answer, v, r.request, of);
            if (tooOld != null) {
                rejected.inc();
                ctx.output(DecodeSequences.DEAD_LETTERS, tooOld);
                return;
            }
            answered.inc();
            out.collect(answer);
            return;
        }
        rejected.inc();
        ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(r.request.topic, r.request.partition, r.request.offset,
                r.request.key, r.request.value, PredictSequences.STAGE, r.request.origin()
                + ": the outputs are not finite numbers at version " + version + of));
    }

    @Override
    public void processElement2(ParameterVersion v, Context ctx, Collector<PredictionRecord> out) throws Exception {
        ServingGate g = gate.value();
        if (g == null) {
            g = ServingGate.startingAt(0);
        }
        g.offer(v, spec.serving().gateFactor());
        gate.update(g);
    }
}
