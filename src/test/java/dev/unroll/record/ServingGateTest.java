package dev.unroll.record;

import dev.unroll.model.Parameters;
import dev.unroll.model.Prequential;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Which version {@link ServingGate} lets answer, open and gated, at staleness 0 and 2. */
class ServingGateTest {
    /** Version v, made by a batch measured at {@code measured} with mean loss {@code loss}. */
    private static ParameterVersion version(long v, long measured, double loss) {
        ParameterVersion p = new ParameterVersion("job", v, Parameters.zeros(1));
        p.setFigures(measured, new Prequential.Figures(loss, Double.NaN, loss, Double.NaN, 1, loss, Double.NaN));
        return p;
    }

    @Test
    void openTheNewestAnswersAndRepeatsAreSkipped() {
        ServingGate g = ServingGate.startingAt(0);
        g.offer(version(1, 0, 5.0), 0);
        g.offer(version(2, 1, 50.0), 0);
        g.offer(version(1, 0, 5.0), 0);
        assertEquals(2, g.servingVersion);
        assertEquals(-1, g.heldBack);
        assertEquals(0, g.pending.length);
    }

    @Test
    void gatedAVersionAnswersOnceMeasuredAndNoWorseThanTheBestByTheFactor() {
        ServingGate g = ServingGate.startingAt(0);
        g.offer(version(1, 0, 4.0), 2.0);          // measures version 0, which answers: the first bar
        assertEquals(0, g.servingVersion, "version 1 is not measured yet");
        assertEquals(4.0, g.best);
        g.offer(version(2, 1, 3.0), 2.0);          // version 1: 3 <= 2 * 4
        assertEquals(1, g.servingVersion);
        assertEquals(3.0, g.best);
        ParameterVersion v2 = g.pending[0];
        g.offer(version(3, 2, 5.5), 2.0);          // version 2: 5.5 <= 6
        assertSame(v2, g.serving);
        assertEquals(3.0, g.best, "the best stays the lowest");
        g.offer(version(4, 3, 6.5), 2.0);          // version 3: 6.5 > 6, held back
        g.offer(version(5, 4, 80.0), 2.0);         // version 4 too
        assertEquals(2, g.servingVersion, "the last version that passed goes on answering");
        assertEquals(4, g.heldBack, "the newest that failed");
        g.offer(version(4, 3, 6.5), 2.0);          // a repeat changes nothing
        assertEquals(4, g.heldBack);
        g.offer(version(6, 5, 5.9), 2.0);          // version 5 passes again
        assertEquals(5, g.servingVersion);
        assertEquals(-1, g.heldBack, "nothing newer than the answering version was held back");
        assertEquals(1, g.pending.length, "only version 6, not yet measured");
    }

    @Test
    void withStalenessAVersionIsMeasuredSVersionsLater() {
        // S = 2: version k+1 is made by batch k, measured at max(0, k - 2)
        ServingGate g = ServingGate.startingAt(0);
        g.offer(version(1, 0, 4.0), 1.5);
        g.offer(version(2, 0, 9.0), 1.5);          // version 0 again: its first measurement set the bar
        g.offer(version(3, 0, 3.5), 1.5);
        assertEquals(4.0, g.best);
        assertEquals(0, g.servingVersion);
        g.offer(version(4, 1, 5.0), 1.5);          // version 1: 5 <= 6
        assertEquals(1, g.servingVersion);
        g.offer(version(5, 2, 6.1), 1.5);          // version 2: 6.1 > 1.5 * 4, the best so far
        assertEquals(1, g.servingVersion);
        assertEquals(2, g.heldBack);
        g.offer(version(6, 3, 5.8), 1.5);          // version 3 passes
        assertEquals(3, g.servingVersion);
        assertEquals(3, g.pending.length, "versions 4, 5 and 6 wait for their measurements");
    }

    @Test
    void aVersionNeverMeasuredNeverAnswers() {
        ServingGate g = ServingGate.startingAt(7);
        g.offer(version(8, -1, Double.NaN), 1.5);  // a batch with every sequence left out measures nothing
        g.offer(version(9, 6, 2.0), 1.5);          // measures a version before this server's start
        assertEquals(7, g.servingVersion);
        assertNull(g.serving, "the starting network answers");
        g.offer(version(10, 9, 2.0), 1.5);
        assertEquals(9, g.servingVersion, "no bar yet: the first measured version answers");
        assertEquals(1, g.pending.length, "version 10, not yet measured");
    }
}
