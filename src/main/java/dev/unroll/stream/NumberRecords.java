package dev.unroll.stream;

import dev.unroll.record.RawRecord;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.util.List;

/**
 * Gives every record its place in the order the job reads them (0, 1, ...), right after the
 * source and as one instance, so the records can be decoded in parallel and put back in this
 * order by the batcher. The count is checkpointed with the source's offsets: a restored job
 * numbers the records it reads again as it did before.
 */
public class NumberRecords extends ProcessFunction<RawRecord, RawRecord> implements CheckpointedFunction {
    private transient ListState<Long> checkpointed;
    private long next;

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<RawRecord> out) {
        record.position = next++;
        out.collect(record);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.update(List.of(next));
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("next", Long.class));
        for (Long n : checkpointed.get()) {
            next = n;
        }
    }
}
