package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} on a case small enough to work out by hand: three logistic units with no
 * weights, biases 2, -2 and 0, so from t = 1 on the states are a = f(2), b = f(-2) = 1 - a and
 * exactly 0.5, whatever happens.
 */
class EvaluateCommandTest {
    private static final double A = 1.0 / (1.0 + Math.exp(-2.0));
    private static final double B = 1.0 - A;
    private static final String NETWORK = """
            {"units": 3, "outputUnits": [0, 1, 2], "weights": [[0,0,0],[0,0,0],[0,0,0]],
             "biases": [2, -2, 0], "initialState": [0.5, 0.5, 0.5]}
            """;
    /**
     * Case "a": 3 binary targets, all right. Case "b": a non-binary target (0.7, loss only), then
     * at T = 3 unit 1 wanted on (it is at b: wrong) and unit 2 wanted off (it sits at the middle:
     * wrong too).
     */
    private static final String DATA = """
            {"id":"a","steps":2,"targets":[{"t":1,"units":[0,1],"values":[1,0]},{"t":2,"units":[0],"values":[1]}]}
            {"id":"b","steps":3,"targets":[{"t":1,"units":[0],"values":[0.7]},{"t":3,"units":[1,2],"values":[1,0]}]}
            """;

    private Path job;
    private Path params;
    private Path data;

    @BeforeEach
    void files(@TempDir Path dir) throws IOException {
        params = Files.writeString(dir.resolve("tiny.json"), NETWORK);
        data = Files.writeString(dir.resolve("tiny.jsonl"), DATA);
        job = Files.writeString(dir.resolve("tiny.yaml"), "network: tiny.json\n");
    }

    private TestSupport.Result evaluate(String... extra) {
        String[] args = new String[7 + extra.length];
        String[] base = {"evaluate", "--job", job.toString(), "--params", params.toString(), "--data", data.toString()};
        System.arraycopy(base, 0, args, 0, 7);
        System.arraycopy(extra, 0, args, 7, extra.length);
        return TestSupport.run(args);
    }

    @Test
    void figuresOfTheTinyCase() {
        TestSupport.Result r = evaluate();
        assertEquals(0, r.exitCode(), r.describe());
        String[] lines = r.out().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode out = TestSupport.json(lines[0]);
        assertEquals("tiny", out.get("job").asText());
        assertEquals(2, out.get("sequences").asInt());
        double lossA = 0.5 * B * B + 0.5 * B * B + 0.5 * B * B;
        double lossB = 0.5 * (A - 0.7) * (A - 0.7) + 0.5 * (B - 1) * (B - 1) + 0.5 * 0.25;
        assertEquals((lossA + lossB) / 2, out.get("meanLoss").asDouble(), 1e-15);
        assertEquals(5, out.get("binaryTargets").asInt());
        assertEquals(3, out.get("binaryTargetsRight").asInt());
        assertEquals(0.6, out.get("fractionBinaryRight").asDouble(), 1e-15);
        assertEquals(1, out.get("sequencesAllRight").asInt());
        assertEquals(0.5, out.get("fractionSequencesAllRight").asDouble());
        JsonNode fin = out.get("finalTargets");
        assertEquals(2, fin.get("sequences").asInt());
        assertEquals((B + A) / 2, fin.get("meanDistance").asDouble(), 1e-15);
        assertEquals(A, fin.get("maxDistance").asDouble(), 1e-15);
        assertNull(out.get("beyond"), "only with --steps-beyond");
    }

    @Test
    void stepsBeyondRunsPastTheData() {
        JsonNode out = TestSupport.json(evaluate("--steps-beyond", "4").out());
        JsonNode beyond = out.get("beyond");
        assertEquals(4, beyond.get("steps").asInt());
        assertEquals(A, beyond.get("maxDistance").asDouble(), 1e-15, "these states do not move");
        assertEquals(0.5, beyond.get("fractionStillRight").asDouble(), "a still holds, b never did");
        assertEquals(0.6, out.get("fractionBinaryRight").asDouble(), 1e-15, "scoring at t <= T is unchanged");
    }

    @Test
    void traceGivesEveryStep() {
        TestSupport.Result r = evaluate("--trace", "1", "--steps-beyond", "2");
        assertEquals(0, r.exitCode(), r.describe());
        String[] lines = r.out().split("\n");
        assertEquals(1 + 1 + 6, lines.length, "summary, header, t = 0 .. T + K");
        JsonNode header = TestSupport.json(lines[1]);
        assertEquals("b", header.get("id").asText());
        assertEquals(3, header.get("steps").asInt());
        JsonNode t0 = TestSupport.json(lines[2]);
        assertEquals(0, t0.get("t").asInt());
        assertEquals(0.5, t0.get("state").get(1).asDouble());
        JsonNode t3 = TestSupport.json(lines[5]);
        assertEquals(3, t3.get("t").asInt());
        assertEquals(B, t3.get("state").get(1).asDouble(), 1e-15);
        assertFalse(t3.get("targets").get(0).get("right").asBoolean());
        assertEquals(2, t3.get("targets").get(1).get("unit").asInt());
        JsonNode t1 = TestSupport.json(lines[3]);
        assertNull(t1.get("targets").get(0).get("right"), "0.7 is not a binary target");
        assertTrue(TestSupport.json(lines[7]).get("beyond").asBoolean());

        TestSupport.Result first = evaluate("--trace");
        assertEquals(0, first.exitCode(), first.describe());
        assertEquals("a", TestSupport.json(first.out().split("\n")[1]).get("id").asText(), "--trace alone traces the first");
    }

    @Test
    void errors() throws IOException {
        TestSupport.Result r = evaluate("--trace", "2");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--trace 2 is beyond the 2 sequences"), r.err());

        Path other = Files.writeString(job.resolveSibling("other.json"), NETWORK.replace("\"outputUnits\": [0, 1, 2]", "\"outputUnits\": [0]"));
        params = other;
        r = evaluate();
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("not the structure of the job's network"), r.err());

        assertEquals(2, evaluate("--steps-beyond", "-1").exitCode());
    }
}
