package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

class ProgressTest {
    private static final long SECOND = 1_000_000_000L;
    private long now;

    private String lastLine(ByteArrayOutputStream out) {
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void warmUpThenRateAndTheSecondHalfAreReportedApart() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress p = new Progress("replay", false, new PrintStream(out, true, StandardCharsets.UTF_8), () -> now);
        now = 4 * SECOND; // warm-up: nothing until version 1
        p.update(1, 10, 0.5);
        // versions 2..5 slowly (1 s each, 10 sequences), then 6..10 fast (0.1 s each, 10 sequences)
        for (int v = 2; v <= 10; v++) {
            now += v <= 5 ? SECOND : SECOND / 10;
            p.update(v, 10L * v, 0.5);
            p.update(v, 10L * v, 0.5); // a version seen twice counts once
        }
        p.done(10, 100, 0.5);
        // second half: from the first version >= 10/2 (version 5, at 8 s, 50 sequences) to the end (8.5 s, 100),
        // 0.1 s from each version to the next there
        assertEquals("replay: warm-up 4.0 s to the first version, then 20 sequences/s; 100 sequences/s"
                + " over the second half of the versions (5 to 10), median 100.0 ms per version", lastLine(out));
    }

    @Test
    void theTimePerVersionIsAMedianThatOneStallDoesNotMove() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress p = new Progress("replay", false, new PrintStream(out, true, StandardCharsets.UTF_8), () -> now);
        now = SECOND;
        p.update(1, 10, 0.5);
        // versions 2..4 a second apart; in the second half (from version 4) 0.1 s apart but for one stall of 2 s
        long[] gaps = {SECOND, SECOND, SECOND, SECOND / 10, SECOND / 10, 2 * SECOND, SECOND / 10};
        for (int v = 2; v <= 8; v++) {
            now += gaps[v - 2];
            p.update(v, 10L * v, 0.5);
        }
        p.done(8, 80, 0.5);
        assertTrue(lastLine(out).endsWith("(4 to 8), median 100.0 ms per version"), lastLine(out));
    }

    @Test
    void aSingleVersionOrQuietPrintsNoRates() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress p = new Progress("train", false, new PrintStream(out, true, StandardCharsets.UTF_8), () -> now);
        now = SECOND;
        p.update(1, 16, 0.5);
        p.done(1, 16, 0.5);
        assertTrue(!out.toString(StandardCharsets.UTF_8).contains("warm-up"), out.toString(StandardCharsets.UTF_8));

        ByteArrayOutputStream quietOut = new ByteArrayOutputStream();
        Progress quiet = new Progress("train", true, new PrintStream(quietOut, true, StandardCharsets.UTF_8), () -> now);
        quiet.update(1, 16, 0.5);
        now += SECOND;
        quiet.update(2, 32, 0.5);
        quiet.done(2, 32, 0.5);
        assertEquals("", quietOut.toString(StandardCharsets.UTF_8));
    }
}
