package dev.unroll.stream;

import dev.unroll.record.ParameterVersion;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.TrainingSpec;
import dev.unroll.model.GradientSum;
import dev.unroll.format.Json;
import dev.unroll.model.Gradients;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Optimizer;
import dev.unroll.model.Prequential;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Per-key models: each key's model lives in keyed state where its sequences arrive, and its update
 * is applied there, in place, as soon as its batch is full; no version travels back through Kafka
 * and no key waits for another, so keys spread over subtasks train independently. A key trains
 * as {@code train} would on that key's sequences alone (the same {@link GradientSum} and {@link Optimizer}
 * on the same batches), and its short last batch is applied at the end of a bounded input (the
 * final watermark, on a timer registered when the key first has a partial batch; it fires once,
 * and finds nothing to do for a key whose batch is full).
 *
 * <p>Each new version is emitted with its key, for the parameters topic. Sequences whose gradient
 * is not finite are left out of their batch and dead-lettered (stage {@code bptt}, as in the
 * one-model job); a sequence of a new key beyond the subtask's key limit is dead-lettered (stage
 * {@code trainer}).
 */
public class KeyedTrainer extends KeyedProcessFunction<String, SequenceItem, ParameterVersion> {
    public static final String STATE = "key-model";
    public static final String STAGE = "trainer";
    private static final long END_OF_INPUT = Long.MAX_VALUE;
    private static final long RECOUNT_NANOS = 10_000_000_000L;

    private final TrainingSpec spec;
    private transient Network network;
    private transient ValueState<KeyModel> state;
    /** keys held by this subtask: counted by {@link KeyCountingOperator} at start and after a retirement sweep */
    private transient long keys;
    private transient LongSupplier countKeys;
    private transient long countedAt;
    private transient Counter keysRefused;
    private transient Counter updates;
    /** each updated key's prequential figures, for their spread over the keys ({@link PrequentialGauges#perKey}) */
    private transient Consumer<Prequential.Figures> keyFigures;

    public KeyedTrainer(TrainingSpec spec) {
        this.spec = spec;
    }

    /** The state's descriptor, with the idle-key TTL when the job sets one. */
    static ValueStateDescriptor<KeyModel> descriptor(TrainingSpec spec) {
        return ttl(spec, new ValueStateDescriptor<>(STATE, KeyModel.class));
    }

    /**
     * {@code d} retired after {@code training.idleKeyTtlMs} without a write (processing time), when
     * set: expired state is never returned, so a retired key starts again from the job's network.
     */
    static <T> ValueStateDescriptor<T> ttl(TrainingSpec spec, ValueStateDescriptor<T> d) {
        long ttl = spec.perKey().idleKeyTtlMs();
        if (ttl > 0) {
            d.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(ttl))
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        return d;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
        state = getRuntimeContext().getState(descriptor(spec));
        var metrics = getRuntimeContext().getMetricGroup();
        keysRefused = metrics.counter("keysRefused");
        updates = metrics.counter("keyUpdates");
        metrics.gauge("keys", () -> keys);
        keyFigures = PrequentialGauges.perKey(metrics);
    }

    /** How to count the keys this subtask holds (in its state backend); called at start and when the limit is met. */
    void countKeysWith(LongSupplier counter) {
        countKeys = counter;
        keys = counter.getAsLong();
        countedAt = System.nanoTime();
    }

    /**
     * At the limit, with idle keys retired by TTL, counts again (at most every {@link #RECOUNT_NANOS}):
     * retired keys free their places once Flink's TTL clean-up has removed them.
     */
    private boolean atKeyLimit() {
        int max = spec.perKey().maxKeysPerSubtask();
        if (keys >= max && spec.perKey().idleKeyTtlMs() > 0 && countKeys != null
                && System.nanoTime() - countedAt > RECOUNT_NANOS) {
            keys = countKeys.getAsLong();
            countedAt = System.nanoTime();
        }
        return keys >= max;
    }

    @Override
    public void processElement(SequenceItem item, Context ctx, Collector<ParameterVersion> out) throws Exception {
        KeyModel m = state.value();
        if (m == null) {
            if (atKeyLimit()) {
                keysRefused.inc();
                ctx.output(DecodeSequences.DEAD_LETTERS, deadLetter(item, STAGE, origin(item) + ": key "
                        + Json.write(item.key) + " is new, and this trainer subtask already holds "
                        + keys + " keys, the limit (limits.maxKeysPerSubtask)"));
                return;
            }
            keys++;
            m = new KeyModel();
        }
        SequenceItem[] pending = Arrays.copyOf(m.pending, m.pending.length + 1);
        pending[m.pending.length] = item;
        m.pending = pending;
        if (pending.length == spec.batchSize()) {
            update(m, false, ctx, out);
        } else if (pending.length == 1) {
            // kept once set, not deleted when the batch fills: registering it again is then a lookup in
            // the timer set, where deleting and adding it back reorders the timer heap every batch
            ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
        }
        state.update(m);
    }

    /** The end of a bounded input: the key's short last batch. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ParameterVersion> out) throws Exception {
        KeyModel m = state.value();
        if (m != null && m.pending.length > 0) {
            update(m, true, ctx, out);
            state.update(m);
        }
    }

    private void update(KeyModel m, boolean last, Context ctx, Collector<ParameterVersion> out) {
        Network at = m.weights == null ? network
                : network.withParameters(new Parameters(network.units(), m.weights, m.biases, m.initialState));
        List<Sequence> batch = new ArrayList<>(m.pending.length);
        for (SequenceItem item : m.pending) {
            batch.add(SequenceCodec.decode(item.sequence));
        }
        long version = m.version;
        Gradients sum = GradientSum.finite(at, batch, k -> ctx.output(DecodeSequences.DEAD_LETTERS,
                deadLetter(m.pending[k], "bptt", SequenceJson.write(batch.get(k)).getBytes(StandardCharsets.UTF_8),
                        origin(m.pending[k]) + ": gradient is not finite at version " + version + " of key "
                                + Json.write(m.pending[k].key) + "; left out of the update")));
        Prequential quality = Prequential.resume(spec.quality(), m.quality);
        Prequential.Figures figures;
        if (sum.count > 0) {
            Optimizer optimizer = spec.optimizer().resume(m.optimizerState);
            Parameters p = optimizer.step(at.parameters(), sum, m.version);
            m.weights = p.weights;
            m.biases = p.biases;
            m.initialState = p.initialState;
            m.optimizerState = optimizer.state();
            figures = quality.add(sum);
            m.quality = quality.state();
            keyFigures.accept(figures);
        } else {
            figures = quality.current();
        }
        m.version++;
        m.sequencesTrained += sum.count;
        m.pending = new SequenceItem[0];
        updates.inc();

        ParameterVersion v = new ParameterVersion(spec.job(), m.version,
                new Parameters(network.units(), current(m.weights, at.parameters().weights),
                        current(m.biases, at.parameters().biases), current(m.initialState, at.parameters().initialState)));
        v.key = ctx.getCurrentKey();
        v.sequencesTrained = m.sequencesTrained;
        v.batchSize = batch.size();
        v.setFigures(sum.count > 0 ? version : -1, figures);
        v.last = last;
        v.publishedAt = System.currentTimeMillis();
        out.collect(v);
    }

    private static double[] current(double[] updated, double[] before) {
        return updated != null ? updated : before;
    }

    private static String origin(SequenceItem item) {
        return item.topic + "/" + item.partition + "@" + item.offset;
    }

    private static DeadLetter deadLetter(SequenceItem item, String stage, String reason) {
        return deadLetter(item, stage, null, reason);
    }

    private static DeadLetter deadLetter(SequenceItem item, String stage, byte[] value, String reason) {
        byte[] v = value != null ? value : SequenceJson.write(SequenceCodec.decode(item.sequence)).getBytes(StandardCharsets.UTF_8);
        return new DeadLetter(item.topic, item.partition, item.offset, item.key.getBytes(StandardCharsets.UTF_8), v, stage, reason);
    }
}
