package dev.unroll.stream;

import dev.unroll.model.GradientSum;
import dev.unroll.model.Gradients;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.model.SequenceCodec;
import dev.unroll.model.SequenceJson;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stateful BPTT operator. It holds its shard of batch k until parameter version k is known
 * (version 0 is the job's network; later ones arrive from the parameters topic as broadcast
 * state), runs full BPTT over every sequence of the shard and emits one gradient sum tagged
 * with the batch and version. A sequence whose gradient is not finite is left out of the sum
 * and dead-lettered, so the aggregator only ever sees finite sums.
 */
public class BpttShard extends KeyedBroadcastProcessFunction<Integer, Shard, ParameterVersion, ShardGradient> {
    public static final MapStateDescriptor<Long, ParameterVersion> VERSIONS =
            new MapStateDescriptor<>("versions", Long.class, ParameterVersion.class);
    private static final MapStateDescriptor<Long, Shard> PENDING =
            new MapStateDescriptor<>("pendingShards", Long.class, Shard.class);
    /**
     * Versions kept besides the newest. Synchronous training needs only the newest, but after a
     * restart without a checkpoint the aggregator publishes old version numbers again, and they
     * must not be discarded for being older than what this instance has seen.
     */
    private static final int KEEP_OLDER_VERSIONS = 2;

    private final TrainingSpec spec;
    private transient Network network;
    private transient MapState<Long, Shard> pending;
    private transient Counter sequencesComputed;
    private transient Counter nonFinite;

    public BpttShard(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        network = spec.network();
        pending = getRuntimeContext().getMapState(PENDING);
        sequencesComputed = getRuntimeContext().getMetricGroup().counter("sequencesComputed");
        nonFinite = getRuntimeContext().getMetricGroup().counter("nonFiniteGradients");
    }

    @Override
    public void processElement(Shard shard, ReadOnlyContext ctx, Collector<ShardGradient> out) throws Exception {
        ParameterVersion version = versionFor(shard.batch, ctx.getBroadcastState(VERSIONS));
        if (version != null) {
            out.collect(compute(shard, version, dead -> ctx.output(DecodeSequences.DEAD_LETTERS, dead)));
        } else {
            pending.put(shard.batch, shard);
        }
    }

    @Override
    public void processBroadcastElement(ParameterVersion version, Context ctx, Collector<ShardGradient> out)
            throws Exception {
        if (!spec.job().equals(version.job) || version.last) {
            return;
        }
        BroadcastState<Long, ParameterVersion> versions = ctx.getBroadcastState(VERSIONS);
        if (versions.contains(version.version)) {
            return; // at-least-once delivery: seen already
        }
        versions.put(version.version, version);
        Iterator<Map.Entry<Long, ParameterVersion>> it = versions.iterator();
        while (it.hasNext()) {
            if (it.next().getKey() < version.version - KEEP_OLDER_VERSIONS) {
                it.remove();
            }
        }
        ctx.applyToKeyedState(PENDING, (key, state) -> {
            Shard waiting = state.get(version.version);
            if (waiting != null) {
                out.collect(compute(waiting, version, dead -> ctx.output(DecodeSequences.DEAD_LETTERS, dead)));
                state.remove(version.version);
            }
        });
    }

    private ParameterVersion versionFor(long batch, ReadOnlyBroadcastState<Long, ParameterVersion> versions)
            throws Exception {
        if (batch == 0) {
            return new ParameterVersion(spec.job(), 0, network.parameters());
        }
        return versions.get(batch);
    }

    private ShardGradient compute(Shard shard, ParameterVersion version, Consumer<DeadLetter> deadLetters) {
        InjectedFault.maybeFail(spec.fault(), "bptt", shard.batch);
        Network at = network.withParameters(version.parameters());
        List<Sequence> sequences = new ArrayList<>(shard.items.length);
        for (SequenceItem item : shard.items) {
            sequences.add(SequenceCodec.decode(item.sequence));
        }
        Gradients sum = GradientSum.finite(at, sequences, k -> {
            nonFinite.inc();
            SequenceItem item = shard.items[k];
            deadLetters.accept(new DeadLetter(item.topic, item.partition, item.offset, null,
                    SequenceJson.write(sequences.get(k)).getBytes(StandardCharsets.UTF_8), "bptt",
                    item.topic + "/" + item.partition + "@" + item.offset + ": gradient is not finite at version "
                            + version.version + "; left out of the update"));
        });
        sequencesComputed.inc(sequences.size());
        return new ShardGradient(shard, version.version, sum);
    }
}
