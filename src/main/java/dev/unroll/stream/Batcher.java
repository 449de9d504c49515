package dev.unroll.stream;

import dev.unroll.format.SequenceCodec;
import dev.unroll.model.GradientSum;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts decoded records back in the order the job read them (their {@code position}: decoders run
 * in parallel), numbers the valid sequences into batches of {@code batchSize} in that order, cuts
 * each batch into chunks as the offline trainer does ({@link GradientSum#chunks}) and gives each
 * BPTT instance a run of them, so that the aggregator can add the chunk sums in the trainer's
 * order whatever the parallelism. Runs as a single instance (one key) so the numbering is one
 * sequence. At the end of a bounded input (the final watermark) it sends the short last batch, or
 * an empty one, marked {@code last}.
 */
public class Batcher extends KeyedProcessFunction<Integer, SequenceItem, Shard> {
    private final TrainingSpec spec;
    private transient ValueState<Long> nextBatch;
    private transient ListState<SequenceItem> pending;
    private transient ValueState<Integer> pendingCount;
    /** the position of the record that comes next in read order */
    private transient ValueState<Long> nextPosition;
    /** records that arrived before one read ahead of them; empty at a checkpoint (aligned barriers) */
    private transient MapState<Long, SequenceItem> early;
    /** false once {@code early} was seen empty and nothing was put since: in-order records skip it */
    private transient boolean mayHoldEarly;

    public Batcher(TrainingSpec spec) {
        this.spec = spec;
    }

    @Override
    public void open(OpenContext context) {
        nextBatch = getRuntimeContext().getState(new ValueStateDescriptor<>("nextBatch", Long.class));
        pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending", SequenceItem.class));
        pendingCount = getRuntimeContext().getState(new ValueStateDescriptor<>("pendingCount", Integer.class));
        nextPosition = getRuntimeContext().getState(new ValueStateDescriptor<>("nextPosition", Long.class));
        early = getRuntimeContext().getMapState(new MapStateDescriptor<>("early", Long.class, SequenceItem.class));
        mayHoldEarly = true; // a restored state may hold some
    }

    @Override
    public void processElement(SequenceItem item, Context ctx, Collector<Shard> out) throws Exception {
        Integer count = pendingCount.value();
        if (count == null) {
            // the input has begun: ask to be called at the end of a bounded input
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
            count = 0;
        }
        Long stored = nextPosition.value();
        long next = stored == null ? 0 : stored;
        if (item.position != next) {
            early.put(item.position, item);
            mayHoldEarly = true;
            pendingCount.update(count);
            return;
        }
        count = take(item, count, out);
        next++;
        if (mayHoldEarly) {
            for (SequenceItem following; (following = early.get(next)) != null; next++) {
                early.remove(next);
                count = take(following, count, out);
            }
            mayHoldEarly = !early.isEmpty();
        }
        nextPosition.update(next);
        pendingCount.update(count);
    }

    /** The next record in read order: a valid sequence joins the batch; the batch goes when full. */
    private int take(SequenceItem item, int count, Collector<Shard> out) throws Exception {
        if (item.isRejected()) {
            return count;
        }
        pending.add(item);
        if (count + 1 == spec.batchSize()) {
            emit(false, out);
            return 0;
        }
        return count + 1;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Shard> out) throws Exception {
        emit(true, out);
        pendingCount.update(0);
    }

    private void emit(boolean last, Collector<Shard> out) throws Exception {
        List<SequenceItem> items = new ArrayList<>();
        for (SequenceItem item : pending.get()) {
            items.add(item);
        }
        long batch = nextBatch.value() == null ? 0 : nextBatch.value();
        int shards = spec.shards();
        int[] steps = new int[items.size()];
        for (int k = 0; k < steps.length; k++) {
            steps[k] = SequenceCodec.steps(items.get(k).sequence);
        }
        int[][] chunks = GradientSum.chunks(steps);
        int[] first = firstChunks(chunks, steps, shards);
        for (int s = 0; s < shards; s++) {
            int[] sizes = new int[first[s + 1] - first[s]];
            List<SequenceItem> shard = new ArrayList<>();
            for (int c = first[s]; c < first[s + 1]; c++) {
                sizes[c - first[s]] = chunks[c].length;
                for (int k : chunks[c]) {
                    shard.add(items.get(k));
                }
            }
            out.collect(new Shard(batch, s, shards, last, first[s], sizes, shard.toArray(new SequenceItem[0])));
        }
        nextBatch.update(batch + 1);
        pending.clear();
    }

    /**
     * Where each shard's run of chunks begins ({@code shards + 1} entries, the last the number of
     * chunks): chunk c goes to the shard in whose equal share of the batch's steps its middle lies,
     * so that the instances get about the same work.
     */
    static int[] firstChunks(int[][] chunks, int[] steps, int shards) {
        long[] work = new long[chunks.length];
        long total = 0;
        for (int c = 0; c < chunks.length; c++) {
            work[c] = (long) chunks[c].length * steps[chunks[c][0]];
            total += work[c];
        }
        int[] first = new int[shards + 1];
        long before = 0;
        int shard = 0;
        for (int c = 0; c < chunks.length; c++) {
            // the share that holds the middle, (before + work / 2) * shards / total, in whole numbers;
            // a middle on a boundary goes to the share below
            int s = (int) Math.min(shards - 1, ((2 * before + work[c]) * shards - 1) / (2 * total));
            while (shard < s) {
                first[++shard] = c;
            }
            before += work[c];
        }
        while (shard < shards) {
            first[++shard] = chunks.length;
        }
        return first;
    }
}
