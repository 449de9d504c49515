package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code predict} through the real command line: every reference prediction (computed by an
 * independent forward pass) at 1e-9, then the rules the references do not exercise: no output
 * units named, a clamped output unit, no targets, no id, several lines in order, bad input.
 */
class PredictCommandTest {
    @TempDir
    Path dir;

    /** The reference cases: predict/NAME/expected.json for the network and sequence of gradients/NAME. */
    static List<Path> referenceCases() throws IOException {
        try (Stream<Path> cases = Files.list(TestSupport.examples().resolve("predict"))) {
            List<Path> found = cases.filter(c -> Files.isRegularFile(c.resolve("expected.json"))).sorted().toList();
            assertTrue(found.size() >= 6, "the reference predictions are missing: " + found);
            return found;
        }
    }

    @Test
    void everyReferencePredictionAt1e9() throws Exception {
        for (Path c : referenceCases()) {
            String name = c.getFileName().toString();
            Path gradient = TestSupport.examples().resolve("gradients").resolve(name);
            Path network = gradient.resolve("network.json");
            Path job = Files.writeString(dir.resolve(name + ".yaml"), "network: " + network + "\n");
            Path data = Files.writeString(dir.resolve(name + ".jsonl"),
                    new ObjectMapper().writeValueAsString(TestSupport.json(gradient.resolve("sequence.json"))) + "\n");
            Path out = dir.resolve(name + ".pred.jsonl");
            TestSupport.Result r = TestSupport.run("predict", "--job", job.toString(), "--params", network.toString(),
                    "--data", data.toString(), "--out", out.toString());
            assertEquals(0, r.exitCode(), name + ": " + r.describe());
            List<String> lines = Files.readAllLines(out);
            assertEquals(1, lines.size(), name + ": one line per input line");
            JsonNode got = TestSupport.json(lines.get(0));
            JsonNode expected = TestSupport.json(c.resolve("expected.json"));
            JsonNode rows = expected.get("outputs");
            assertEquals(rows.size(), got.get("outputs").size(), name + ": T rows");
            for (int t = 0; t < rows.size(); t++) {
                TestSupport.assertVector(rows.get(t), got.get("outputs").get(t), rows.get(t).size(),
                        name + ": outputs[" + t + "]");
            }
            TestSupport.assertNumber(expected.get("loss"), got.get("loss"), name + ": loss");
            assertEquals(expected.get("id"), got.get("id"), name + ": id");
        }
    }

    /**
     * Two logistic units, no weights: unit 0 is clamped by the inputs at t = 0 .. T-1, unit 1
     * sits at f(b1) from t = 1 on. Neither is named an output, so both are reported.
     */
    private static final String TWO_UNITS = """
            {"units": 2, "inputUnits": [0], "weights": [[0, 0], [0, 0]], "biases": [0.5, -1], "initialState": [0, 0]}
            """;

    @Test
    void everyUnitWhenNoneNamedClampedValuesNoTargetsNoId() throws Exception {
        Path params = Files.writeString(dir.resolve("two.json"), TWO_UNITS);
        Path job = Files.writeString(dir.resolve("two.yaml"), "network: two.json\n");
        Path data = Files.writeString(dir.resolve("two.jsonl"), """
                {"id": "first", "steps": 3, "inputs": [[0.1], [0.2], [0.3]], "targets": [{"t": 2, "units": [1], "values": [1]}]}
                {"steps": 2, "inputs": [[0.7], [0.9]]}
                {"id": "third", "steps": 1, "targets": []}
                """);
        Path out = dir.resolve("two.pred.jsonl");
        TestSupport.Result r = TestSupport.run("predict", "--job", job.toString(), "--params", params.toString(),
                "--data", data.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        List<String> lines = Files.readAllLines(out);
        assertEquals(3, lines.size(), "one line per input line");
        double f1 = 1.0 / (1.0 + Math.exp(1.0));
        double f0 = 1.0 / (1.0 + Math.exp(-0.5));

        JsonNode first = TestSupport.json(lines.get(0));
        assertEquals("first", first.get("id").asText());
        // h_1, h_2 clamped by inputs[1], inputs[2]; h_3 is computed (inputs clamp t = 0 .. T-1 only)
        assertRows(new double[][]{{0.2, f1}, {0.3, f1}, {f0, f1}}, first.get("outputs"));
        assertEquals(0.5 * (f1 - 1) * (f1 - 1), first.get("loss").asDouble(), 1e-15);

        JsonNode second = TestSupport.json(lines.get(1));
        assertFalse(second.has("id"), "no id when the sequence has none: " + second);
        assertFalse(second.has("loss"), "no loss without targets: " + second);
        assertRows(new double[][]{{0.9, f1}, {f0, f1}}, second.get("outputs"));

        JsonNode third = TestSupport.json(lines.get(2));
        assertEquals("third", third.get("id").asText());
        assertFalse(third.has("loss"), "an empty target list is no targets: " + third);
        assertRows(new double[][]{{f0, f1}}, third.get("outputs"));
    }

    private static void assertRows(double[][] expected, JsonNode got) {
        assertEquals(expected.length, got.size(), "rows: " + got);
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t].length, got.get(t).size(), "row " + t);
            for (int k = 0; k < expected[t].length; k++) {
                assertEquals(expected[t][k], got.get(t).get(k).asDouble(), 1e-15, "outputs[" + t + "][" + k + "]");
            }
        }
    }

    @Test
    void aBadLineOrParametersOfAnotherStructureExitWith2() throws Exception {
        Path params = Files.writeString(dir.resolve("two.json"), TWO_UNITS);
        Path job = Files.writeString(dir.resolve("two.yaml"), "network: two.json\n");
        Path data = Files.writeString(dir.resolve("bad.jsonl"), "{\"steps\": 1}\n{\"steps\": 0}\n");
        Path out = dir.resolve("bad.pred.jsonl");
        TestSupport.Result r = TestSupport.run("predict", "--job", job.toString(), "--params", params.toString(),
                "--data", data.toString(), "--out", out.toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().contains("bad.jsonl:2: steps: must be at least 1"), r.err());
        assertFalse(Files.exists(out), "no half-written predictions");

        Path other = Files.writeString(dir.resolve("three.json"),
                "{\"units\": 3, \"weights\": [[0,0,0],[0,0,0],[0,0,0]], \"biases\": [0,0,0], \"initialState\": [0,0,0]}");
        r = TestSupport.run("predict", "--job", job.toString(), "--params", other.toString(),
                "--data", data.toString(), "--out", out.toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().contains("not the structure of the job's network"), r.err());
    }

    /** Sanity of the case list itself: the reference sequences have ids, so the id check above is not vacuous. */
    @Test
    void referenceCasesHaveIds() throws Exception {
        List<String> ids = new ArrayList<>();
        for (Path c : referenceCases()) {
            ids.add(TestSupport.json(c.resolve("expected.json")).path("id").asText(""));
        }
        assertFalse(ids.contains(""), "ids: " + ids);
    }
}
