package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.TestSupport;

import org.junit.jupiter.api.Test;

/** The {@code bench} command prints one JSON line with its figures, and the two sums it times agree. */
class BenchCommandTest {
    @Test
    void printsOneJsonLineWithTheFigures() {
        TestSupport.Result r = TestSupport.run("bench", "--units", "12", "--steps", "7", "--batch", "5",
                "--threads", "2", "--seconds", "0.05", "--warmup", "0");
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(1, r.out().strip().lines().count(), r.describe());
        JsonNode j = TestSupport.json(r.out());
        for (String field : new String[] {"sequencesPerSecond", "gflops", "baselineSequencesPerSecond", "speedup"}) {
            assertTrue(j.get(field).isNumber() && j.get(field).doubleValue() > 0, field + " in " + r.out());
        }
        assertEquals(12, j.get("units").intValue());
        assertEquals(7, j.get("steps").intValue());
        assertEquals(5, j.get("batch").intValue());
        assertEquals(2, j.get("threads").intValue());
        assertTrue(j.get("maxRelativeDifference").doubleValue() < 1e-12, r.out());
        // a median batch is no faster than the fastest; both are rates of one batch (rounded to 0.001)
        for (String prefix : new String[] {"", "baseline"}) {
            double median = j.get(prefix.isEmpty() ? "medianBatchSequencesPerSecond" : "baselineMedianBatchSequencesPerSecond").doubleValue();
            double fastest = j.get(prefix.isEmpty() ? "fastestBatchSequencesPerSecond" : "baselineFastestBatchSequencesPerSecond").doubleValue();
            assertTrue(median > 0 && median <= fastest + 0.001, prefix + " median " + median + ", fastest " + fastest);
        }
    }

    @Test
    void withoutBaselineOnlyTheBatchedFigures() {
        TestSupport.Result r = TestSupport.run("bench", "--units", "4", "--steps", "3", "--batch", "1",
                "--seconds", "0", "--warmup", "0", "--no-baseline");
        assertEquals(0, r.exitCode(), r.describe());
        JsonNode j = TestSupport.json(r.out());
        assertTrue(j.get("sequencesPerSecond").doubleValue() > 0, r.out());
        assertTrue(j.get("baselineSequencesPerSecond") == null, r.out());
    }
}
