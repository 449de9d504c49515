package dev.unroll.events;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The offline rule over several keys arriving out of order. */
class AssemblerTest {
    private static final EventRule RULE = new EventRule(EventRule.Window.COUNT, 3, 1, 0, 1, EventRule.Targets.NEXT, 0,
            new int[] {1});

    private static List<Event> readings(int keys, int perKey) {
        List<Event> all = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            for (int i = 0; i < perKey; i++) {
                all.add(new Event("k" + k, 1_000L * i + k, 0, all.size(), new double[] {i}, new double[] {i}));
            }
        }
        return all;
    }

    private static List<String> ids(List<Cut> cuts) {
        return cuts.stream().map(c -> c.sequence().id()).toList();
    }

    @Test
    void outOfOrderWithinTheBoundCutsAsSortedAndTrainsInClosingOrder() {
        List<Event> sorted = readings(3, 20);
        sorted.sort(Event.ORDER);
        Assembler inOrder = new Assembler(RULE, 0);
        sorted.forEach(inOrder::add);
        List<Cut> expected = inOrder.finish();
        assertEquals(3 * 17, expected.size());

        List<Event> shuffled = new ArrayList<>(sorted);
        // swap neighbours: each event at most one reading (1 s) out of place
        Random random = new Random(7);
        for (int i = 0; i + 1 < shuffled.size(); i += 2) {
            if (random.nextBoolean()) {
                Collections.swap(shuffled, i, i + 1);
            }
        }
        Assembler outOfOrder = new Assembler(RULE, 1_000);
        shuffled.forEach(outOfOrder::add);
        assertEquals(ids(expected), ids(outOfOrder.finish()));
        assertEquals(0, outOfOrder.late());
        // closing order interleaves the keys: k0, k1, k2 at each reading
        assertEquals(List.of("k0", "k1", "k2", "k0"), expected.subList(0, 4).stream().map(Cut::key).toList());
    }

    @Test
    void anEventBehindTheBoundIsLateAndLeftOut() {
        Assembler a = new Assembler(RULE, 500);
        a.add(new Event("k", 10_000, 0, 0, new double[] {0}, new double[] {0}));
        a.add(new Event("k", 9_500, 0, 1, new double[] {0}, new double[] {0}));
        a.add(new Event("k", 9_499, 0, 2, new double[] {0}, new double[] {0}));
        assertEquals(1, a.late());
    }
}
