package dev.unroll.stream;

import dev.unroll.model.GradientSum;
import dev.unroll.model.Gradients;
import dev.unroll.model.Network;
import dev.unroll.model.Optimizer;
import dev.unroll.model.Parameters;
import dev.unroll.model.Prequential;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.SourceRanges;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.accumulators.Histogram;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The parameter-aggregation stage (one instance per job). It waits for every shard of batch k,
 * adds their chunk sums in chunk order as the offline trainer does ({@link GradientSum#total}),
 * averages over the batch and applies the update to version k (the same {@link Optimizer} as the
 * offline trainer, whatever version the batch's gradient was taken at), then publishes version
 * k+1. Its state is the authoritative copy of the parameters: a shard
 * sum for a batch it has already applied (a replay after recovery) is dropped, so every sequence
 * counts in exactly one version.
 *
 * <p>It keeps its newest S + 1 versions, the ones a batch not yet applied can need, and publishes
 * them again under its own epoch when a BPTT instance announces itself: after a restore or a
 * resume the instances take nothing the attempt before published. Every version also goes on the
 * {@link VersionBoard} for the instances in this JVM.
 */
public class AggregateGradients extends KeyedProcessFunction<Integer, ShardGradient, ParameterVersion> {
    private final TrainingSpec spec;
    private transient Network network;
    private transient String epoch;
    private transient VersionBoard board;
    /** the newest version's number; its parameters are in {@link #recent} */
    private transient ValueState<Long> newest;
    private transient MapState<Long, ParameterVersion> recent;
    /** the optimizer's state after the newest version (momentum's velocity, Adam's moments) */
    private transient ValueState<double[][]> optimizerState;
    /** the prequential figures' state after the newest version */
    private transient ValueState<double[]> qualityState;
    private transient MapState<Long, ShardGradient> waiting;
    private transient Counter sequencesTrained;
    private transient Counter duplicates;
    private transient Histogram toAggregatorTrace;
    private transient Histogram updateTrace;
    private transient volatile long versionGauge;
    private transient volatile double lossGauge;
    private transient volatile Prequential.Figures figuresGauge;
    private transient volatile long stalenessGauge;

    public AggregateGradients(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
        epoch = spec.epoch(getRuntimeContext().getTaskInfo().getAttemptNumber());
        board = spec.inProcessVersions() ? VersionBoard.open(epoch, spec.staleness()) : null;
        newest = getRuntimeContext().getState(new ValueStateDescriptor<>("newest", Long.class));
        recent = getRuntimeContext().getMapState(new MapStateDescriptor<>("recent", Long.class, ParameterVersion.class));
        optimizerState = getRuntimeContext().getState(new ValueStateDescriptor<>("optimizer", double[][].class));
        qualityState = getRuntimeContext().getState(new ValueStateDescriptor<>("prequential", double[].class));
        waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>("waiting", Long.class, ShardGradient.class));
        var metrics = getRuntimeContext().getMetricGroup();
        sequencesTrained = metrics.counter("sequencesTrained");
        duplicates = metrics.counter("duplicateShardSums");
        toAggregatorTrace = new Histogram();
        updateTrace = new Histogram();
        getRuntimeContext().addAccumulator(LoopTrace.TO_AGGREGATOR, toAggregatorTrace);
        getRuntimeContext().addAccumulator(LoopTrace.UPDATE, updateTrace);
        metrics.gauge("version", () -> versionGauge);
        metrics.gauge("batchLoss", () -> lossGauge);
        metrics.gauge("staleness", () -> stalenessGauge);
        figuresGauge = Prequential.Figures.NONE;
        PrequentialGauges.register(metrics, () -> figuresGauge);
    }

    @Override
    public void close() {
        if (board != null) {
            VersionBoard.close(epoch, board);
        }
    }

    @Override
    public void processElement(ShardGradient g, Context ctx, Collector<ParameterVersion> out) throws Exception {
        if (g.announcement) {
            for (Map.Entry<Long, ParameterVersion> v : recent.entries()) {
                publish(v.getValue().republishedAs(epoch), out);
            }
            return;
        }
        long arrived = LoopTrace.nowMicros();
        LoopTrace.add(toAggregatorTrace, arrived - g.emittedMicros);
        ParameterVersion now = currentVersion();
        if (g.batch < now.version || now.last) {
            duplicates.inc();
            return;
        }
        waiting.put(slot(g.batch, g.shard), g);
        CompleteBatch batch;
        while (!now.last && (batch = completeBatch(now.version)) != null) {
            now = apply(now, batch);
            remember(now);
            now.publishedMicros = LoopTrace.nowMicros();
            publish(now, out);
            LoopTrace.add(updateTrace, LoopTrace.nowMicros() - arrived);
        }
    }

    /**
     * To the instances in this JVM, then to the parameters topic: they start on the next batch while
     * this thread encodes the version for Kafka. Nothing changes a version after this.
     */
    private void publish(ParameterVersion v, Collector<ParameterVersion> out) {
        if (board != null) {
            board.post(v);
        }
        out.collect(v);
    }

    private record CompleteBatch(Gradients sum, boolean last, SourceRanges source) {
    }

    private ParameterVersion currentVersion() throws Exception {
        Long number = newest.value();
        return number != null ? recent.get(number) : new ParameterVersion(spec.job(), 0, spec.network().parameters());
    }

    /** Keeps versions newest - S .. newest: the ones batches not yet applied are computed at. */
    private void remember(ParameterVersion v) throws Exception {
        newest.update(v.version);
        recent.put(v.version, v);
        recent.remove(v.version - spec.staleness() - 1);
    }

    /**
     * The batch's sum from its shards' parts, or null while any shard is missing. The
     * number of shards is the one the batch was cut into, which a job resumed at another
     * parallelism still finds on the shard sums taken before it stopped.
     */
    private CompleteBatch completeBatch(long batch) throws Exception {
        ShardGradient first = waiting.get(slot(batch, 0));
        if (first == null) {
            return null;
        }
        for (int s = 1; s < first.shards; s++) {
            if (!waiting.contains(slot(batch, s))) {
                return null;
            }
        }
        List<Gradients> parts = new ArrayList<>();
        boolean last = false;
        SourceRanges source = null;
        for (int s = 0; s < first.shards; s++) {
            ShardGradient shard = waiting.get(slot(batch, s));
            stalenessGauge = batch - shard.version;
            last |= shard.last;
            source = SourceRanges.merge(source, shard.source);
            parts.addAll(shard.parts());
            waiting.remove(slot(batch, s));
        }
        return new CompleteBatch(GradientSum.total(network, parts), last, source);
    }

    /** Where shard {@code shard} of {@code batch} waits: independent of the current parallelism. */
    private static long slot(long batch, int shard) {
        return batch * TrainingSpec.MAX_SHARDS + shard;
    }

    /**
     * The version after this batch. An empty batch changes nothing: at the end of the input it
     * re-publishes the current version marked last; elsewhere (every sequence dead-lettered) it
     * still publishes the next version number, because the BPTT instances wait for it.
     */
    private ParameterVersion apply(ParameterVersion now, CompleteBatch batch) throws Exception {
        Gradients sum = batch.sum();
        ParameterVersion next;
        if (sum.count == 0 && batch.last()) {
            next = copyOf(now, now.version, now.parameters());
            next.batchSize = now.batchSize;
            next.setFigures(now.measuredVersion, now.figures());
        } else if (sum.count == 0) {
            next = copyOf(now, now.version + 1, now.parameters());
            next.batchSize = 0;
            next.setFigures(-1, Prequential.resume(spec.quality(), qualityState.value()).current());
        } else {
            Optimizer optimizer = spec.optimizer().resume(optimizerState.value());
            Parameters updated = optimizer.step(now.parameters(), sum, now.version);
            optimizerState.update(optimizer.state());
            next = copyOf(now, now.version + 1, updated);
            next.batchSize = sum.count;
            Prequential quality = Prequential.resume(spec.quality(), qualityState.value());
            next.setFigures(spec.versionFor(now.version), quality.add(sum));
            qualityState.update(quality.state());
            next.sequencesTrained = now.sequencesTrained + sum.count;
            sequencesTrained.inc(sum.count);
        }
        next.last = batch.last();
        next.source = SourceRanges.merge(now.source, batch.source());
        next.publishedAt = System.currentTimeMillis();
        next.epoch = epoch;
        versionGauge = next.version;
        lossGauge = next.batchLoss;
        figuresGauge = next.figures();
        return next;
    }

    private static ParameterVersion copyOf(ParameterVersion now, long version, Parameters p) {
        ParameterVersion next = new ParameterVersion(now.job, version, p);
        next.sequencesTrained = now.sequencesTrained;
        return next;
    }
}
