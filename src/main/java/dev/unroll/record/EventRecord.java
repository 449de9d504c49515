package dev.unroll.record;

import dev.unroll.events.Event;

/**
 * An event record as the events source hands it on: the event read from it, or, when it could
 * not be read, the dead letter saying why. Read at the source so that each partition's watermark
 * follows its own event times.
 */
public class EventRecord {
    /** the event; null when the record was rejected */
    public Event event;
    /** why the record was rejected; null when it holds an event */
    public DeadLetter rejected;

    public EventRecord() {
    }

    public static EventRecord of(Event event) {
        EventRecord r = new EventRecord();
        r.event = event;
        return r;
    }

    public static EventRecord rejected(DeadLetter why) {
        EventRecord r = new EventRecord();
        r.rejected = why;
        return r;
    }
}
