package dev.unroll.events;

import dev.unroll.events.EventRule.Collected;
import dev.unroll.model.Sequence;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cutting rule on hand-made events of one key, each case worked out on paper. */
class EventRuleTest {
    private static final int[] OUT = {3};

    /** Event k of key "a" at time {@code times[k]}, its input and target both k. */
    static List<Event> events(long... times) {
        List<Event> out = new ArrayList<>();
        for (int k = 0; k < times.length; k++) {
            out.add(new Event("a", times[k], 0, k, new double[] {k}, new double[] {10 + k}));
        }
        return out;
    }

    static Collected cut(EventRule rule, List<Event> events) {
        Collected out = new Collected();
        CutterState state = new CutterState();
        for (Event e : events) {
            rule.release(state, e, out);
        }
        rule.advance(state, Long.MAX_VALUE, out);
        return out;
    }

    private static double[] inputs(Sequence s) {
        double[] x = new double[s.steps()];
        for (int t = 0; t < s.steps(); t++) {
            x[t] = s.input(t, 0);
        }
        return x;
    }

    @Test
    void aCountWindowForecastsEachNextReading() {
        EventRule rule = new EventRule(EventRule.Window.COUNT, 3, 1, 0, 1, EventRule.Targets.NEXT, 0, OUT);
        Collected out = cut(rule, events(100, 200, 300, 400, 500, 600));
        assertEquals(3, out.sequences.size(), "4 events a sequence, sliding by 1, over 6 events");
        Cut first = out.sequences.get(0);
        assertEquals(3, first.sequence().steps());
        assertArrayEquals(new double[] {0, 1, 2}, inputs(first.sequence()));
        List<Sequence.Target> targets = first.sequence().targets();
        assertEquals(3, targets.size());
        for (int t = 1; t <= 3; t++) {
            assertEquals(t, targets.get(t - 1).t());
            assertArrayEquals(OUT, targets.get(t - 1).units());
            assertArrayEquals(new double[] {10 + t}, targets.get(t - 1).values(), "the reading of event t");
        }
        assertEquals(400, first.closes(), "closes with its last event");
        assertEquals("a@1970-01-01T00:00:00.100Z/1970-01-01T00:00:00.400Z", first.sequence().id());
        assertEquals(List.of(0L, 1L, 2L), out.sequences.stream().map(Cut::index).toList());
        assertArrayEquals(new double[] {2, 3, 4}, inputs(out.sequences.get(2).sequence()));
        // a window to predict each time the newest 3 events slide round: from the 3rd event on
        assertEquals(4, out.windows.size());
        assertArrayEquals(new double[] {3, 4, 5}, inputs(out.windows.get(3).sequence()));
        assertTrue(out.windows.get(3).sequence().targets().isEmpty());
    }

    @Test
    void aSlideSkipsAndLastStepsKeepsOnlyTheLastTargets() {
        EventRule rule = new EventRule(EventRule.Window.COUNT, 2, 3, 0, 1, EventRule.Targets.NEXT, 1, OUT);
        Collected out = cut(rule, events(1, 2, 3, 4, 5, 6, 7, 8, 9));
        // sequences end at events 2, 5 and 8 (0-based): every 3rd event once 3 are there
        assertEquals(List.of(3L, 6L, 9L), out.sequences.stream().map(Cut::closes).toList());
        Sequence s = out.sequences.get(1).sequence();
        assertArrayEquals(new double[] {3, 4}, inputs(s));
        assertEquals(1, s.targets().size());
        assertEquals(2, s.targets().get(0).t());
        assertArrayEquals(new double[] {15}, s.targets().get(0).values());
    }

    @Test
    void aLabelIsTheLastEventsTargetAtTheLastStep() {
        EventRule rule = new EventRule(EventRule.Window.COUNT, 3, 3, 0, 1, EventRule.Targets.LABEL, 0, OUT);
        Collected out = cut(rule, events(1, 2, 3, 4, 5, 6, 7));
        assertEquals(2, out.sequences.size());
        Sequence s = out.sequences.get(1).sequence();
        assertArrayEquals(new double[] {3, 4, 5}, inputs(s));
        assertEquals(1, s.targets().size());
        assertEquals(3, s.targets().get(0).t());
        assertArrayEquals(new double[] {15}, s.targets().get(0).values());
    }

    @Test
    void noTargetsCutsInputsAlone() {
        EventRule rule = new EventRule(EventRule.Window.COUNT, 2, 2, 0, 1, EventRule.Targets.NONE, 0, OUT);
        Collected out = cut(rule, events(1, 2, 3, 4));
        assertEquals(2, out.sequences.size());
        assertTrue(out.sequences.get(0).sequence().targets().isEmpty());
        assertEquals(2, out.sequences.get(0).sequence().steps());
    }

    @Test
    void aGapOfAtLeastTheGapEndsASessionAndLongSessionsAreCutAsTheyGrow() {
        EventRule rule = new EventRule(EventRule.Window.SESSION, 3, 1, 10, 1, EventRule.Targets.NEXT, 0, OUT);
        // 0..4 one session (part of 3 steps, then the rest), 14 starts a new one (a gap of exactly 10),
        // 23 joins it (9 apart), 40 is alone (one event: no step to forecast)
        Collected out = cut(rule, events(0, 1, 2, 3, 4, 14, 23, 40));
        assertEquals(3, out.sequences.size());
        Cut full = out.sequences.get(0);
        assertArrayEquals(new double[] {0, 1, 2}, inputs(full.sequence()));
        assertEquals(3, full.closes(), "a full part closes with its last event");
        Cut rest = out.sequences.get(1);
        assertArrayEquals(new double[] {3}, inputs(rest.sequence()), "the next part starts at the event the full one ended on");
        assertArrayEquals(new double[] {14}, rest.sequence().targets().get(0).values());
        assertEquals(14, rest.closes(), "a session closes its gap after its last event");
        Cut second = out.sequences.get(2);
        assertArrayEquals(new double[] {5}, inputs(second.sequence()));
        assertEquals(33, second.closes());
        assertEquals(0, out.dropped);
    }

    @Test
    void sessionsShorterThanMinStepsAreDroppedAndCounted() {
        EventRule rule = new EventRule(EventRule.Window.SESSION, 10, 1, 5, 2, EventRule.Targets.LABEL, 0, OUT);
        Collected out = cut(rule, events(0, 100, 101, 200, 201, 202));
        assertEquals(List.of(2, 3), out.sequences.stream().map(c -> c.sequence().steps()).toList());
        assertEquals(1, out.dropped);
        assertEquals(List.of(106L, 207L), out.sequences.stream().map(Cut::closes).toList());
    }

    @Test
    void advancingEventTimeEndsAnOpenSessionOnlyOnceItsGapHasPassed() {
        EventRule rule = new EventRule(EventRule.Window.SESSION, 10, 1, 5, 1, EventRule.Targets.LABEL, 0, OUT);
        Collected out = new Collected();
        CutterState state = new CutterState();
        events(0, 2).forEach(e -> rule.release(state, e, out));
        assertEquals(7, rule.sessionEnd(state));
        rule.advance(state, 6, out);
        assertTrue(out.sequences.isEmpty());
        rule.advance(state, 7, out);
        assertEquals(1, out.sequences.size());
        assertEquals(Long.MAX_VALUE, rule.sessionEnd(state));
    }
}
