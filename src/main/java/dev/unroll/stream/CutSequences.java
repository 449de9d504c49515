package dev.unroll.stream;

import dev.unroll.events.Cut;
import dev.unroll.events.CutterState;
import dev.unroll.events.Event;
import dev.unroll.events.EventInput;
import dev.unroll.events.EventRule;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts each key's events into sequences in event time, by the job's {@link EventRule}. An event
 * waits in keyed state until the watermark passes its time; then the key's events of that time go
 * to the rule in {@link Event#ORDER}, so events that arrive out of order (within the watermark's
 * bound) are cut exactly as if they had come sorted. An event at or behind the watermark is late:
 * it is dead-lettered (stage {@code events}) and counted. A session ends at a timer at its last
 * event's time plus the gap.
 *
 * <p>Flink's window operators are not used because neither fits the rule: a count window counts
 * in arrival order, not event time, and a merging session window that has fired cannot take an
 * event that lands exactly on its end, so where a session ends would depend on when watermarks
 * happen to come. Timers on event time give the same cut whatever the timing.
 *
 * <p>Each window to predict (see EventRule) leaves through {@link #WINDOWS} as a request when the
 * job serves predictions.
 */
public class CutSequences extends KeyedProcessFunction<String, Event, CutItem> {
    public static final OutputTag<RawRecord> WINDOWS = new OutputTag<>("windows", TypeInformation.of(RawRecord.class));

    private final EventInput input;
    private final boolean windows;
    private transient ValueState<CutterState> cutter;
    /** events not yet released, by event time */
    private transient MapState<Long, List<Event>> waiting;
    private transient Counter late;
    private transient Counter cut;
    private transient Counter dropped;

    /** @param windows whether to hand on the windows to predict */
    public CutSequences(TrainingSpec spec, boolean windows) {
        this.input = spec.events();
        this.windows = windows;
    }

    @Override
    public void open(OpenContext context) {
        cutter = getRuntimeContext().getState(new ValueStateDescriptor<>("cutter", CutterState.class));
        waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>("waiting", TypeInformation.of(Long.class),
                TypeInformation.of(new TypeHint<List<Event>>() { })));
        late = getRuntimeContext().getMetricGroup().counter("lateEvents");
        cut = getRuntimeContext().getMetricGroup().counter("sequencesCut");
        dropped = getRuntimeContext().getMetricGroup().counter("sessionPartsDropped");
    }

    @Override
    public void processElement(Event e, Context ctx, Collector<CutItem> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        if (e.time <= watermark) {
            late.inc();
            ctx.output(DecodeSequences.DEAD_LETTERS, new DeadLetter(input.topic(), e.partition, e.offset,
                    e.key.getBytes(StandardCharsets.UTF_8), e.raw, ParseEvents.STAGE,
                    input.topic() + "/" + e.partition + "@" + e.offset + ": late: event time " + e.time
                            + " is at or behind the watermark " + watermark + " (events.maxOutOfOrdernessMs "
                            + input.maxOutOfOrdernessMs() + ")"));
            return;
        }
        List<Event> at = waiting.get(e.time);
        if (at == null) {
            at = new ArrayList<>();
            ctx.timerService().registerEventTimeTimer(e.time);
        }
        at.add(e);
        waiting.put(e.time, at);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<CutItem> out) throws Exception {
        CutterState state = cutter.value();
        if (state == null) {
            state = new CutterState();
        }
        EventRule.Sink sink = new EventRule.Sink() {
            @Override
            public void sequence(Cut c) {
                cut.inc();
                out.collect(new CutItem(c, input.topic()));
            }

            @Override
            public void window(Cut w) {
                if (windows) {
                    ctx.output(WINDOWS, new RawRecord(input.topic(), w.last().partition, w.last().offset,
                            w.key().getBytes(StandardCharsets.UTF_8),
                            SequenceJson.write(w.sequence()).getBytes(StandardCharsets.UTF_8)));
                }
            }

            @Override
            public void dropped(String key, int steps) {
                dropped.inc();
            }
        };
        List<Event> due = waiting.get(time);
        if (due != null) {
            waiting.remove(time);
            due.sort(Event.ORDER);
            for (Event e : due) {
                e.raw = null;
                input.rule().release(state, e, sink);
            }
        }
        input.rule().advance(state, time, sink);
        long end = input.rule().sessionEnd(state);
        if (end != Long.MAX_VALUE) {
            ctx.timerService().registerEventTimeTimer(end);
        }
        if (input.rule().isIdle(state)) {
            cutter.clear();
        } else {
            cutter.update(state);
        }
    }
}
