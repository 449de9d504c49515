package dev.unroll.events;

import dev.unroll.model.Sequence;

import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How one key's events, taken in event-time {@link Event#ORDER}, become sequences: the one rule
 * that the streaming job's cutting operator and the offline {@link Assembler} both follow.
 *
 * <p>Windows. A <b>count</b> window is {@code steps} events, a new one every {@code slide} events.
 * A <b>session</b> ends where two events of the key are {@code gapMs} or more apart; a session
 * longer than {@code steps} is cut into parts of {@code steps} as it grows, and a last part of fewer
 * than {@code minSteps} steps is dropped.
 *
 * <p>Targets. With <b>next</b>, a sequence of T steps takes T + 1 events: event t clamps the
 * input units of h_t (t = 0 .. T-1) and event t's target fields are the desired output units of h_t
 * (t = 1 .. T, or the last {@code lastSteps} of them), so the net learns to forecast each next
 * reading; consecutive parts of a session share one event. With <b>label</b>, T events clamp h_0 ..
 * h_{T-1} and the last event's target fields are the desired outputs at t = T. With <b>none</b>
 * the sequences have no targets, for predictions only.
 *
 * <p>Windows to predict. Whenever a key's newest events form a window (the last {@code steps}
 * events of a count window as its slide comes round, a session part as it is cut), they are also
 * handed over as a sequence of inputs alone: its outputs at t = T forecast what comes next.
 */
public record EventRule(Window window, int steps, int slide, long gapMs, int minSteps, Targets targets, int lastSteps,
                        int[] outputUnits) implements Serializable {
    public enum Window { COUNT, SESSION }

    public enum Targets { NEXT, LABEL, NONE }

    /** Where cutting hands what it cuts. */
    public interface Sink {
        void sequence(Cut cut);

        /** The newest window of the key, as inputs alone (see the class comment). */
        default void window(Cut window) {
        }

        /** A session part shorter than {@code minSteps}, dropped. */
        default void dropped(String key, int steps) {
        }
    }

    /** A sink that keeps what it is handed, in the order handed. */
    public static final class Collected implements Sink {
        public final List<Cut> sequences = new ArrayList<>();
        public final List<Cut> windows = new ArrayList<>();
        public int dropped;

        @Override
        public void sequence(Cut cut) {
            sequences.add(cut);
        }

        @Override
        public void window(Cut window) {
            windows.add(window);
        }

        @Override
        public void dropped(String key, int steps) {
            dropped++;
        }
    }

    public EventRule {
        if (steps < 1 || slide < 1 || minSteps < 1 || lastSteps < 0 || lastSteps > steps) {
            throw new IllegalArgumentException("a window needs steps >= 1, slide >= 1, minSteps >= 1, 0 <= lastSteps <= steps");
        }
        if (window == Window.SESSION && gapMs < 1) {
            throw new IllegalArgumentException("a session window needs a gap of at least 1 ms");
        }
    }

    /** Events a full window holds: a forecast's T steps take one event more. */
    int eventsPerSequence() {
        return targets == Targets.NEXT ? steps + 1 : steps;
    }

    /** The next event of the key, in {@link Event#ORDER}. */
    public void release(CutterState s, Event e, Sink out) {
        if (window == Window.COUNT) {
            releaseCounted(s, e, out);
        } else {
            releaseSession(s, e, out);
        }
    }

    /**
     * Event time has reached {@code time} for this key (the watermark, or the end of the input):
     * a session whose last event is {@code gapMs} or more behind it is over.
     */
    public void advance(CutterState s, long time, Sink out) {
        if (window == Window.SESSION && !s.window.isEmpty() && sessionEnd(s) <= time) {
            endSession(s, out);
        }
    }

    /**
     * Whether the key has nothing to remember: between two sessions (a session's parts are counted
     * from 0 again, so its state can go and a key that comes and goes holds none). Count windows
     * always remember their newest events.
     */
    public boolean isIdle(CutterState s) {
        return window == Window.SESSION && s.window.isEmpty();
    }

    /** The event time at which the key's open session ends unless an event comes first; MAX_VALUE when none is open. */
    public long sessionEnd(CutterState s) {
        return window != Window.SESSION || s.window.isEmpty() ? Long.MAX_VALUE : s.lastTime + gapMs;
    }

    private void releaseCounted(CutterState s, Event e, Sink out) {
        s.window.add(e);
        int need = eventsPerSequence();
        if (s.window.size() > need) {
            s.window.remove(0);
        }
        s.released++;
        if (s.released >= steps && (s.released - steps) % slide == 0) {
            List<Event> newest = s.window.subList(s.window.size() - steps, s.window.size());
            out.window(cut(e.key, s.nextIndex, e.time, inputsOnly(e.key, newest), newest));
        }
        if (s.released >= need && (s.released - need) % slide == 0) {
            emit(s, e.time, List.copyOf(s.window), out);
        }
    }

    private void releaseSession(CutterState s, Event e, Sink out) {
        if (!s.window.isEmpty() && e.time - s.lastTime >= gapMs) {
            endSession(s, out);
        }
        s.window.add(e);
        s.lastTime = e.time;
        if (s.window.size() == eventsPerSequence()) {
            List<Event> part = List.copyOf(s.window);
            out.window(cut(e.key, s.nextIndex, e.time, inputsOnly(e.key, part), part));
            emit(s, e.time, part, out);
            s.window.clear();
            if (targets == Targets.NEXT) {
                // the part's last event is the target of its last step and the input of the next part's first
                s.window.add(e);
            }
        }
    }

    private void endSession(CutterState s, Sink out) {
        List<Event> part = List.copyOf(s.window);
        long closes = s.lastTime + gapMs;
        long index = s.nextIndex;
        s.window.clear();
        s.nextIndex = 0;
        int partSteps = targets == Targets.NEXT ? part.size() - 1 : part.size();
        if (partSteps == 0) {
            return; // only the event the previous part ended with
        }
        if (partSteps < minSteps) {
            out.dropped(part.get(0).key, partSteps);
            return;
        }
        String key = part.get(0).key;
        out.window(cut(key, index, closes, inputsOnly(key, part), part));
        out.sequence(cut(key, index, closes, sequence(key, part), part));
    }

    private void emit(CutterState s, long closes, List<Event> events, Sink out) {
        String key = events.get(0).key;
        out.sequence(cut(key, s.nextIndex++, closes, sequence(key, events), events));
    }

    private static Cut cut(String key, long index, long closes, Sequence seq, List<Event> events) {
        return new Cut(key, index, closes, events.get(0), events.get(events.size() - 1), seq);
    }

    /** The training sequence of a window's events (see the class comment). */
    Sequence sequence(String key, List<Event> events) {
        int n = events.size();
        int t = targets == Targets.NEXT ? n - 1 : n;
        List<Sequence.Target> desired = new ArrayList<>();
        if (targets == Targets.NEXT) {
            int from = lastSteps == 0 ? 1 : Math.max(1, t - lastSteps + 1);
            for (int step = from; step <= t; step++) {
                desired.add(new Sequence.Target(step, outputUnits, events.get(step).targets.clone()));
            }
        } else if (targets == Targets.LABEL) {
            desired.add(new Sequence.Target(t, outputUnits, events.get(n - 1).targets.clone()));
        }
        return new Sequence(id(key, events), key, t, null, null, inputs(events, t), width(events), desired);
    }

    /** The window's events as inputs alone, for a prediction. */
    static Sequence inputsOnly(String key, List<Event> events) {
        return new Sequence(id(key, events), key, events.size(), null, null, inputs(events, events.size()), width(events),
                List.of());
    }

    private static int width(List<Event> events) {
        return events.get(0).inputs.length;
    }

    private static double[] inputs(List<Event> events, int steps) {
        int width = width(events);
        double[] rows = new double[steps * width];
        for (int t = 0; t < steps; t++) {
            System.arraycopy(events.get(t).inputs, 0, rows, t * width, width);
        }
        return rows;
    }

    /** {@code KEY@FIRST/LAST}: the key and the window's event-time range as an ISO-8601 interval. */
    static String id(String key, List<Event> events) {
        return key + "@" + Instant.ofEpochMilli(events.get(0).time) + "/"
                + Instant.ofEpochMilli(events.get(events.size() - 1).time);
    }
}
