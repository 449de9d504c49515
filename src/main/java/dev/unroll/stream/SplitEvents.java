package dev.unroll.stream;

import dev.unroll.events.Event;
import dev.unroll.record.EventRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Right after the events source: events go on to be cut, the records that are not events to the dead letters. */
public class SplitEvents extends ProcessFunction<EventRecord, Event> {
    private transient Counter accepted;
    private transient Counter rejected;

    @Override
    public void open(OpenContext context) {
        accepted = getRuntimeContext().getMetricGroup().counter("eventsAccepted");
        rejected = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(EventRecord record, Context ctx, Collector<Event> out) {
        if (record.event != null) {
            accepted.inc();
            out.collect(record.event);
        } else {
            rejected.inc();
            ctx.output(DecodeSequences.DEAD_LETTERS, record.rejected);
        }
    }
}
