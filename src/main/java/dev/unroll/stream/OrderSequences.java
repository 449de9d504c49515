package dev.unroll.stream;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts the sequences cut from every key into one training order for the one model: by closing
 * time, key and the key's count (events.Cut#ORDER), numbered 0, 1, ... for the batcher. A
 * sequence closing at time t is held until the watermark reaches t: by then every cutting
 * instance has handed over all it closes at or before t, since each hands over what a timer closes
 * before it passes the watermark on. Runs as one instance (one key).
 */
public class OrderSequences extends KeyedProcessFunction<Integer, CutItem, SequenceItem> {
    private transient MapState<Long, List<CutItem>> waiting;
    private transient ValueState<Long> nextPosition;

    @Override
    public void open(OpenContext context) {
        waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>("waiting", TypeInformation.of(Long.class),
                TypeInformation.of(new TypeHint<List<CutItem>>() { })));
        nextPosition = getRuntimeContext().getState(new ValueStateDescriptor<>("nextPosition", Long.class));
    }

    @Override
    public void processElement(CutItem item, Context ctx, Collector<SequenceItem> out) throws Exception {
        List<CutItem> at = waiting.get(item.closes);
        if (at == null) {
            at = new ArrayList<>();
            ctx.timerService().registerEventTimeTimer(item.closes);
        }
        at.add(item);
        waiting.put(item.closes, at);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<SequenceItem> out) throws Exception {
        List<CutItem> due = waiting.get(time);
        if (due == null) {
            return;
        }
        waiting.remove(time);
        due.sort(CutItem.ORDER);
        long next = nextPosition.value() == null ? 0 : nextPosition.value();
        for (CutItem item : due) {
            out.collect(item.item(next++));
        }
        nextPosition.update(next);
    }
}
