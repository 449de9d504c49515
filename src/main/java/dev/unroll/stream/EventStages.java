package dev.unroll.stream;

import dev.unroll.events.EventInput;
import dev.unroll.record.EventRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/**
 * The events input's part of the job graph: Flink cuts each key's events into sequences in event
 * time, and they enter training as sequences read from a topic do.
 * <pre>
 *   events (P, watermarks per partition) -> split (P) -> keyBy key -> cut (P, keyed state, timers)
 *        one model: -> order (1) -> batcher ...      per key: -> keyBy key -> trainer ...
 *   (records that are not events, late events) -> dead letters;  windows that close -> requests (serving)
 * </pre>
 */
final class EventStages {
    private EventStages() {
    }

    static TrainingJob.Sequences sequences(StreamExecutionEnvironment env, TrainingSpec spec, ModelLayout layout,
                                           TrainingInput.Events in, boolean serving) {
        int p = spec.shards();
        SingleOutputStreamOperator<dev.unroll.events.Event> events = env
                .fromSource(in.source(), watermarks(spec.events(), in.live()), "events").setParallelism(p).uid("events")
                .process(new SplitEvents()).name("split events").setParallelism(p).uid("split-events");
        SingleOutputStreamOperator<CutItem> cut = events
                .keyBy(e -> e.key, Types.STRING)
                .process(new CutSequences(spec, serving)).name("cut").setParallelism(p)
                .setMaxParallelism(TrainingSpec.MAX_SHARDS).uid("cut");
        DataStream<SequenceItem> items = layout.cutItems(cut, p);
        return new TrainingJob.Sequences(items,
                events.getSideOutput(DecodeSequences.DEAD_LETTERS).union(cut.getSideOutput(DecodeSequences.DEAD_LETTERS)),
                serving ? cut.getSideOutput(CutSequences.WINDOWS) : null);
    }

    /**
     * Each partition's watermark trails its newest event time by the allowed out-of-orderness;
     * a record that holds no event does not move it. A live input lets idle partitions go.
     */
    static WatermarkStrategy<EventRecord> watermarks(EventInput input, boolean live) {
        WatermarkStrategy<EventRecord> w = WatermarkStrategy
                .<EventRecord>forBoundedOutOfOrderness(Duration.ofMillis(input.maxOutOfOrdernessMs()))
                .withTimestampAssigner((r, kafkaTime) -> r.event != null ? r.event.time : Long.MIN_VALUE);
        return live && input.idleTimeoutMs() > 0 ? w.withIdleness(Duration.ofMillis(input.idleTimeoutMs())) : w;
    }
}
