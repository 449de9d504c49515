package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The overload benchmark, briefly and at a modest rate: its counts add up and its figures are there. */
class LoadCommandTest {
    @Test
    void aShortRunReportsRatesUpdateTimesAndCountsThatAddUp() {
        TestSupport.Result r = TestSupport.run("load", "--job", "jobs/binary-addition.yaml", "--seconds", "3",
                "--rate", "300", "--drain-seconds", "60", "--parallelism", "1");
        assertEquals(0, r.exitCode(), r.describe());
        JsonNode j = TestSupport.json(r.out());
        assertTrue(j.get("countsAddUp").asBoolean(), r.out());
        assertEquals(0, j.get("deadLetters").asLong(), r.out());
        long produced = j.get("recordsProduced").asLong();
        assertTrue(produced > 100 && produced <= 3 * 300 + 300, "about 300 records a second for 3 s: " + r.out());
        long updates = j.get("updates").asLong();
        assertTrue(updates >= 5, r.out());
        double p50 = j.get("msPerUpdateP50").asDouble();
        double p95 = j.get("msPerUpdateP95").asDouble();
        assertTrue(p50 >= 0 && p50 <= p95, r.out());
    }
}
