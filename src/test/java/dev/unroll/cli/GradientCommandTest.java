package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.Bptt;
import dev.unroll.model.Gradients;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code gradient} command as a program: what it prints (one line, every float64 exactly as
 * computed), its flags, and its errors. The reference values are checked by
 * {@code dev.unroll.model.ReferenceGradientsTest}; the validity rules by {@code ValidityTest}.
 */
class GradientCommandTest {

    /** Random networks and sequences written as files: the printed JSON holds the computed doubles bit-for-bit. */
    @Test
    void printsTheComputedGradientExactly(@TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(4242);
        for (int c = 0; c < 12; c++) {
            int n = 1 + rnd.nextInt(7);
            int steps = c == 0 ? 300 : 1 + rnd.nextInt(40);
            String net = randomNetwork(n, c % 3, rnd);
            String seq = randomSequence(n, steps, rnd);
            Path netFile = Files.writeString(dir.resolve("net" + c + ".json"), net);
            Path seqFile = Files.writeString(dir.resolve("seq" + c + ".json"), seq);

            TestSupport.Result r = TestSupport.run("gradient", "--network", netFile.toString(), "--sequence", seqFile.toString());
            assertEquals(0, r.exitCode(), r.describe());
            assertEquals("", r.err());
            assertTrue(r.out().endsWith("\n") && r.out().indexOf('\n') == r.out().length() - 1, "one line: " + r.out());

            Network network = NetworkJson.read(netFile, Limits.DEFAULT);
            Sequence sequence = SequenceJson.read(seqFile, network, Limits.DEFAULT);
            Gradients g = Bptt.gradient(network, sequence);
            JsonNode out = TestSupport.json(r.out());
            assertEquals(g.loss, out.get("loss").doubleValue(), "loss");
            assertTrue(g.loss > 0, "the case has targets");
            for (int j = 0; j < n; j++) {
                assertEquals(n, out.get("weights").get(j).size());
                for (int i = 0; i < n; i++) {
                    assertEquals(g.weights[j * n + i], out.get("weights").get(j).get(i).doubleValue(), "weights[" + j + "][" + i + "]");
                }
                assertEquals(g.biases[j], out.get("biases").get(j).doubleValue(), "biases[" + j + "]");
                assertEquals(g.initialState[j], out.get("initialState").get(j).doubleValue(), "initialState[" + j + "]");
            }
            assertEquals(n, out.get("weights").size());
            assertEquals(n, out.get("biases").size());
            assertEquals(n, out.get("initialState").size());
        }
    }

    @Test
    void noTargetsGiveZeroLossAndZeroGradients(@TempDir Path dir) throws IOException {
        Path net = Files.writeString(dir.resolve("n.json"), randomNetwork(3, 1, new SplittableRandom(1)));
        Path seq = Files.writeString(dir.resolve("s.json"), "{\"steps\": 5, \"targets\": []}");
        TestSupport.Result r = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString());
        assertEquals(0, r.exitCode(), r.describe());
        JsonNode out = TestSupport.json(r.out());
        assertEquals(0.0, out.get("loss").doubleValue());
        for (String field : new String[] {"biases", "initialState"}) {
            for (JsonNode v : out.get(field)) {
                assertEquals(0.0, v.doubleValue(), field);
            }
        }
        for (JsonNode row : out.get("weights")) {
            for (JsonNode v : row) {
                assertEquals(0.0, v.doubleValue(), "weights");
            }
        }
    }

    @Test
    void acceptsPathsRelativeToTheWorkingDirectory() {
        Path dir = TestSupport.cases("gradients").get(0);
        Path cwd = Path.of("").toAbsolutePath();
        Path net = cwd.relativize(dir.resolve("network.json"));
        Path seq = cwd.relativize(dir.resolve("sequence.json"));
        assertFalse(net.isAbsolute());
        TestSupport.Result r = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString());
        assertEquals(0, r.exitCode(), r.describe());
        TestSupport.assertNumber(TestSupport.json(dir.resolve("expected.json")).get("loss"), TestSupport.json(r.out()).get("loss"), "loss");
    }

    @Test
    void maxStepsRaisesAndLowersTheLimit(@TempDir Path dir) throws IOException {
        int steps = Limits.DEFAULT.maxSteps() + 5;
        Path net = Files.writeString(dir.resolve("n.json"),
                "{\"units\":1,\"activation\":\"tanh\",\"weights\":[[0.5]],\"biases\":[0.1],\"initialState\":[0.2]}");
        Path seq = Files.writeString(dir.resolve("s.json"),
                "{\"steps\":" + steps + ",\"targets\":[{\"t\":" + steps + ",\"units\":[0],\"values\":[0.9]}]}");
        TestSupport.Result refused = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString());
        assertEquals(2, refused.exitCode(), refused.describe());
        assertTrue(refused.err().startsWith(seq + ": steps: "), refused.err());

        TestSupport.Result raised = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString(),
                "--max-steps", Integer.toString(steps));
        assertEquals(0, raised.exitCode(), raised.describe());
        assertTrue(TestSupport.json(raised.out()).get("loss").doubleValue() > 0);

        TestSupport.Result units = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString(),
                "--max-steps", Integer.toString(steps), "--max-units", "1");
        assertEquals(0, units.exitCode(), "one unit is within --max-units 1: " + units.describe());
    }

    @Test
    void aGradientThatOverflowsIsAnErrorNotOutput(@TempDir Path dir) throws IOException {
        Path net = Files.writeString(dir.resolve("n.json"),
                "{\"units\":2,\"activation\":\"linear\",\"weights\":[[1e300,1e300],[1e300,1e300]],\"biases\":[0,0],"
                        + "\"initialState\":[1,1]}");
        Path seq = Files.writeString(dir.resolve("s.json"), "{\"steps\":4,\"targets\":[{\"t\":4,\"units\":[0],\"values\":[0]}]}");
        TestSupport.Result r = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith(seq.toString()) && r.err().indexOf('\n') == r.err().length() - 1, r.describe());
        assertTrue(r.err().contains("finite"), r.err());
    }

    @Test
    void aMissingOptionIsAUsageError(@TempDir Path dir) throws IOException {
        Path net = Files.writeString(dir.resolve("n.json"), randomNetwork(2, 0, new SplittableRandom(3)));
        TestSupport.Result r = TestSupport.run("gradient", "--network", net.toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertEquals("", r.out());
        assertTrue(r.err().contains("--sequence"), r.err());
        assertFalse(r.err().contains("at dev."), r.err());
    }

    // ---- random files ----

    /** A network file: activation 0 logistic cross-entropy with a mask and tied pair, 1 tanh with inputs, 2 linear. */
    static String randomNetwork(int n, int kind, SplittableRandom rnd) {
        double[][] w = new double[n][n];
        boolean[][] mask = new boolean[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                mask[j][i] = kind != 0 || (j + 2 * i) % 3 != 1;
                w[j][i] = mask[j][i] ? (2 * rnd.nextDouble() - 1) * (kind == 2 ? 0.8 / n : 1.5 / Math.sqrt(n)) : 0.0;
            }
        }
        StringBuilder s = new StringBuilder("{\"units\":" + n);
        if (kind == 0) {
            s.append(",\"activation\":\"logistic\",\"loss\":\"cross-entropy\"");
        } else if (kind == 1) {
            s.append(",\"activation\":\"tanh\",\"inputUnits\":[").append(n - 1).append(']');
        } else {
            s.append(",\"activation\":\"linear\"");
        }
        String tied = "";
        if (kind == 0 && mask[0][0] && n > 1 && mask[n - 1][n - 1]) {
            w[n - 1][n - 1] = w[0][0];
            tied = ",\"tied\":[[[0,0],[" + (n - 1) + "," + (n - 1) + "]]]";
        }
        s.append(",\"weights\":[");
        for (int j = 0; j < n; j++) {
            s.append(j > 0 ? "," : "").append('[');
            for (int i = 0; i < n; i++) {
                s.append(i > 0 ? "," : "").append(w[j][i]);
            }
            s.append(']');
        }
        s.append("],\"biases\":").append(numbers(n, rnd)).append(",\"initialState\":").append(numbers(n, rnd));
        if (kind == 0) {
            s.append(",\"mask\":[");
            for (int j = 0; j < n; j++) {
                s.append(j > 0 ? "," : "").append('[');
                for (int i = 0; i < n; i++) {
                    s.append(i > 0 ? "," : "").append(mask[j][i] ? 1 : 0);
                }
                s.append(']');
            }
            s.append(']');
        }
        return s.append(tied).append('}').toString();
    }

    /** Targets in [0, 1] on every unit at every step; no inputs (input units then follow the dynamics). */
    static String randomSequence(int n, int steps, SplittableRandom rnd) {
        StringBuilder s = new StringBuilder("{\"steps\":" + steps + ",\"targets\":[");
        for (int t = 1; t <= steps; t++) {
            s.append(t > 1 ? "," : "").append("{\"t\":").append(t).append(",\"units\":[");
            for (int u = 0; u < n; u++) {
                s.append(u > 0 ? "," : "").append(u);
            }
            s.append("],\"values\":").append(numbers(n, rnd)).append('}');
        }
        return s.append("]}").toString();
    }

    private static String numbers(int n, SplittableRandom rnd) {
        StringBuilder s = new StringBuilder("[");
        for (int k = 0; k < n; k++) {
            s.append(k > 0 ? "," : "").append(rnd.nextDouble());
        }
        return s.append(']').toString();
    }
}
