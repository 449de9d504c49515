package dev.unroll.events;

import dev.unroll.model.Sequence;

import java.util.Comparator;

/**
 * A sequence cut from one key's events, with when it closed in event time. Every job trains its
 * sequences in {@link #ORDER}: by closing time, then key, then the key's own count, an order that
 * does not depend on how events were spread over partitions or instances.
 *
 * @param key    the key whose events these are
 * @param index  the key's count of sequences before this one (in its session, with session windows)
 * @param closes the event time from which no later event can change it: its last event's time (count
 *               windows, a full session part) or the last event's time plus the gap (the end of a session)
 * @param first  its first event
 * @param last   its last event
 */
public record Cut(String key, long index, long closes, Event first, Event last, Sequence sequence) {
    public static final Comparator<Cut> ORDER = Comparator.comparingLong(Cut::closes)
            .thenComparing(Cut::key).thenComparingLong(Cut::index);
}
