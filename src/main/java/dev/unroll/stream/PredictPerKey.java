package dev.unroll.stream;

import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.format.SequenceCodec;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import dev.unroll.format.Json;

/**
 * With per-key models, answers each request with its key's newest model: requests and versions
 * are both keyed by key, so a key's newest version is kept (in keyed state) only where that key's
 * requests arrive, not broadcast to every instance. A key with no version yet is answered with
 * the job's network, version 0. Versions may repeat (an at-least-once topic): the highest wins.
 */
public class PredictPerKey extends KeyedCoProcessFunction<String, KeyedRequest, ParameterVersion, PredictionRecord> {
    private final TrainingSpec spec;
    private transient Network structure;
    private transient ValueState<ParameterVersion> newest;
    private transient Counter answered;
    private transient Counter rejected;

    public PredictPerKey(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        structure = spec.network();
        newest = getRuntimeContext().getState(KeyedTrainer.ttl(spec,
                new ValueStateDescriptor<>("newest-of-key", ParameterVersion.class)));
        answered = getRuntimeContext().getMetricGroup().counter("predictions");
        rejected = getRuntimeContext().getMetricGroup().counter("predictionDeadLetters");
    }

    @Override
    public void processElement1(KeyedRequest r, Context ctx, Collector<PredictionRecord> out) throws Exception {
        ParameterVersion v = newest.value();
        Network net = v == null ? structure : structure.withParameters(v.parameters());
        long version = v == null ? 0 : v.version;
        Prediction p = Prediction.of(net, SequenceCodec.decode(r.sequence));
        if (p.isFinite()) {
            answered.inc();
            out.collect(new PredictionRecord(r.request, version, p));
            return;
        }
        rejected.inc();
        ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(r.request.topic, r.request.partition, r.request.offset,
                r.request.key, r.request.value, PredictSequences.STAGE, r.request.origin()
                + ": the outputs are not finite numbers at version " + version + " of key " + dev.unroll.format.Json.write(r.key)));
    }

    @Override
    public void processElement2(ParameterVersion v, Context ctx, Collector<PredictionRecord> out) throws Exception {
        ParameterVersion held = newest.value();
        if (held == null || held.version < v.version) {
            newest.update(v);
        }
    }
}
