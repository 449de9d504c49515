package dev.unroll.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The offline rule of the events input: what the streaming job cuts from the same events, in the
 * order it trains them. Events come in the order they were read (a file's lines); those of a key
 * are put in {@link Event#ORDER} and cut by the {@link EventRule}; the sequences of all keys are
 * then put in {@link Cut#ORDER}. At the end every open session ends, as the end of a bounded input
 * ends them in the stream.
 *
 * <p>Lateness follows Flink's bounded-out-of-orderness watermark as if it were emitted after every
 * event: an event more than {@code maxOutOfOrdernessMs} behind the latest time seen before it is
 * late and left out. The stream emits its watermark periodically, so it leaves out such an event
 * only if a watermark has passed it; with every event within the bound the two agree exactly.
 */
public final class Assembler {
    private final EventRule rule;
    private final long maxOutOfOrdernessMs;
    private final Map<String, List<Event>> byKey = new HashMap<>();
    private long newest = Long.MIN_VALUE;
    private long late;
    private long dropped;
    private final List<Cut> windows = new ArrayList<>();

    public Assembler(EventRule rule, long maxOutOfOrdernessMs) {
        this.rule = rule;
        this.maxOutOfOrdernessMs = maxOutOfOrdernessMs;
    }

    /** Takes the next event read; false when it is late and left out. */
    public boolean add(Event e) {
        if (newest != Long.MIN_VALUE && e.time < newest - maxOutOfOrdernessMs) {
            late++;
            return false;
        }
        newest = Math.max(newest, e.time);
        byKey.computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
        return true;
    }

    /** Events left out as late. */
    public long late() {
        return late;
    }

    /** Session parts left out for being shorter than the rule's {@code minSteps}. */
    public long dropped() {
        return dropped;
    }

    /** Cuts every key's events and returns the sequences in the order the job trains them. */
    public List<Cut> finish() {
        EventRule.Collected sink = new EventRule.Collected();
        for (List<Event> events : byKey.values()) {
            events.sort(Event.ORDER);
            CutterState state = new CutterState();
            for (Event e : events) {
                rule.release(state, e, sink);
            }
            rule.advance(state, Long.MAX_VALUE, sink);
        }
        dropped += sink.dropped;
        windows.addAll(sink.windows);
        windows.sort(Cut.ORDER);
        List<Cut> cuts = sink.sequences;
        cuts.sort(Cut.ORDER);
        return cuts;
    }

    /** After {@link #finish}: the windows to predict, as the stream hands them to serving (see EventRule). */
    public List<Cut> windows() {
        return List.copyOf(windows);
    }
}
