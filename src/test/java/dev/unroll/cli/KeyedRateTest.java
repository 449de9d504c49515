package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KeyedRateTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theSecondHalfCountsTheVersionsAfterTheMiddleOne() {
        KeyedRate r = new KeyedRate();
        // ten versions of 16 sequences: the first five 1 s apart (warming up), then 0.1 s apart
        long now = 7 * SECOND;
        for (int k = 0; k < 10; k++) {
            now += k == 0 ? 0 : k <= 5 ? SECOND : SECOND / 10;
            r.add(now, 16);
        }
        assertEquals(5.4, r.seconds(), 1e-9);
        assertEquals(now, r.lastSeen());
        // the middle one is the sixth (at 12 s); the four after it bring 64 sequences in 0.4 s
        assertEquals(160, r.secondHalf(), 1e-9);
    }

    @Test
    void tooFewVersionsHaveNoRate() {
        KeyedRate r = new KeyedRate();
        assertEquals(0, r.seconds());
        assertEquals(0, r.lastSeen());
        r.add(SECOND, 16);
        r.add(2 * SECOND, 16);
        assertEquals(1, r.seconds(), 1e-9);
        assertEquals(0, r.secondHalf());
    }

    @Test
    void growsPastItsFirstArrays() {
        KeyedRate r = new KeyedRate();
        for (int k = 0; k < 5000; k++) {
            r.add(k * (SECOND / 1000), k < 2500 ? 1 : 4);
        }
        // versions 2501..4999 after the middle one (2500): 2499 of 4 sequences in 2.499 s
        assertEquals(4000, r.secondHalf(), 1e-6);
    }
}
