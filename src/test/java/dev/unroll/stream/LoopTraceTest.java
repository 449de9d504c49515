package dev.unroll.stream;

import org.apache.flink.api.common.accumulators.Histogram;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The round trip's summary reads the operators' histograms (10-microsecond buckets) into milliseconds. */
class LoopTraceTest {
    @Test
    void mediansAndNinetiethPercentilesInMilliseconds() {
        Histogram back = new Histogram();
        for (int k = 1; k <= 10; k++) {
            LoopTrace.add(back, k * 1000L); // 1 .. 10 ms: Commons Math puts p90 at 9.9
        }
        Histogram bptt = new Histogram();
        LoopTrace.add(bptt, 2_500);
        LoopTrace.add(bptt, -5); // a clock step backwards counts as 0, not as a negative bucket
        List<String> lines = LoopTrace.summary(Map.of(LoopTrace.BACK_TO_BPTT, back.getLocalValue(),
                LoopTrace.BPTT, bptt.getLocalValue(), "someOtherAccumulator", 3L));
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("BPTT of a shard"), lines.get(0));
        assertTrue(lines.get(0).contains("p50    1.25 ms") && lines.get(0).endsWith("(2)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("version back to a BPTT instance"), lines.get(1));
        assertTrue(lines.get(1).contains("p50    5.50 ms") && lines.get(1).contains("p90    9.90 ms"), lines.get(1));
    }

    @Test
    void nothingRecordedNothingSaid() {
        assertEquals(List.of(), LoopTrace.summary(Map.of()));
    }
}
