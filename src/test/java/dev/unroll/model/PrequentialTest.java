package dev.unroll.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Prequential}'s figures against their definitions written out directly: the window as
 * the newest batches holding at least W sequences, summed from scratch; the fading average as
 * explicit weights alpha^(sequences trained after the batch).
 */
class PrequentialTest {
    private record Batch(long count, double loss, long binary, long right) {
        Gradients sum() {
            Gradients g = new Gradients(1);
            g.count = count;
            g.loss = loss;
            g.binaryTargets = binary;
            g.binaryRight = right;
            return g;
        }
    }

    private static List<Batch> randomBatches(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Batch> batches = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            long count = 1 + rnd.nextInt(20);
            long binary = rnd.nextInt(4) == 0 ? 0 : count * (1 + rnd.nextInt(8));
            batches.add(new Batch(count, count * rnd.nextDouble(0.01, 5), binary, binary == 0 ? 0 : rnd.nextLong(binary + 1)));
        }
        return batches;
    }

    @Test
    void theFiguresFollowTheirDefinitions() {
        int window = 50;
        double alpha = 0.97;
        List<Batch> batches = randomBatches(7, 300);
        Prequential p = new Prequential(new Prequential.Settings(window, alpha));
        for (int k = 0; k < batches.size(); k++) {
            Prequential.Figures f = p.add(batches.get(k).sum());
            Batch b = batches.get(k);
            assertClose(b.loss / b.count, f.batchLoss(), "batch loss " + k);
            assertClose(b.binary == 0 ? Double.NaN : (double) b.right / b.binary, f.batchAccuracy(), "batch accuracy " + k);

            // the window: back from the newest batch until it holds W sequences
            long count = 0;
            double loss = 0;
            long binary = 0;
            long right = 0;
            for (int j = k; j >= 0 && count < window; j--) {
                count += batches.get(j).count;
                loss += batches.get(j).loss;
                binary += batches.get(j).binary;
                right += batches.get(j).right;
            }
            assertEquals(count, f.windowSequences(), "window sequences " + k);
            assertClose(loss / count, f.windowLoss(), "window loss " + k);
            assertClose(binary == 0 ? Double.NaN : (double) right / binary, f.windowAccuracy(), "window accuracy " + k);

            // fading: batch j weighs alpha^(sequences trained after it)
            double fl = 0;
            double fn = 0;
            double fr = 0;
            double fb = 0;
            long after = 0;
            for (int j = k; j >= 0; j--) {
                double w = Math.pow(alpha, after);
                fl += w * batches.get(j).loss;
                fn += w * batches.get(j).count;
                fr += w * batches.get(j).right;
                fb += w * batches.get(j).binary;
                after += batches.get(j).count;
            }
            assertClose(fl / fn, f.fadingLoss(), "fading loss " + k);
            assertClose(fb == 0 ? Double.NaN : fr / fb, f.fadingAccuracy(), "fading accuracy " + k);
        }
    }

    @Test
    void aResumedOneGoesOnAsIfNeverStopped() {
        Prequential.Settings settings = new Prequential.Settings(40, 0.99);
        List<Batch> batches = randomBatches(11, 120);
        Prequential straight = new Prequential(settings);
        Prequential resumed = new Prequential(settings);
        for (int k = 0; k < batches.size(); k++) {
            Prequential.Figures expected = straight.add(batches.get(k).sum());
            resumed = Prequential.resume(settings, resumed.state());
            assertEquals(expected, resumed.add(batches.get(k).sum()), "after batch " + k);
        }
        assertEquals(straight.current(), Prequential.resume(settings, straight.state()).current());
        assertEquals(Prequential.Figures.NONE.windowSequences(), Prequential.resume(settings, null).current().windowSequences());
    }

    @Test
    void aBatchLargerThanTheWindowIsTheWindowAlone() {
        Prequential p = new Prequential(new Prequential.Settings(8, 1.0));
        p.add(new Batch(5, 10, 0, 0).sum());
        Prequential.Figures f = p.add(new Batch(12, 6, 24, 18).sum());
        assertEquals(12, f.windowSequences());
        assertEquals(0.5, f.windowLoss());
        assertEquals(0.75, f.windowAccuracy());
        assertEquals(16.0 / 17, f.fadingLoss(), 1e-15, "alpha 1: the mean over everything");
        assertTrue(Double.isNaN(new Prequential(new Prequential.Settings(8, 1.0)).current().windowLoss()), "none yet");
        assertThrows(IllegalArgumentException.class, () -> p.add(new Gradients(1)));
        assertThrows(IllegalArgumentException.class, () -> new Prequential.Settings(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Prequential.Settings(5, 0));
    }

    private static void assertClose(double expected, double got, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(got), what + ": " + got + ", expected none");
            return;
        }
        assertTrue(Math.abs(got - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), what + ": " + got + ", expected " + expected);
    }
}
