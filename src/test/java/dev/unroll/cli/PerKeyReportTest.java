package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.unroll.model.KeyedNetwork;

/**
 * {@code evaluate} and {@code plot} with per-key models, on models whose states can be worked out
 * by hand: three logistic units with no weights, so from t = 1 on each unit sits at f(its bias).
 * Key a's model has biases 2, -2 (states A, B = 1 - A); key b's has -2, 2 (B, A); the job's
 * network has zeros (0.5 everywhere), which key c, with no trained model, is scored with; key d
 * has a model and no held-out sequence.
 */
class PerKeyReportTest {
    private static final double A = 1.0 / (1.0 + Math.exp(-2.0));
    private static final double B = 1.0 - A;
    private static final String ZEROS = "\"weights\": [[0,0,0],[0,0,0],[0,0,0]], \"initialState\": [0.5, 0.5, 0.5]";
    /** a1: both right under a (loss B^2); a2: wrong (0.5 A^2); b1: both wrong under b (A^2); c1: 0.5 is not right (0.125). */
    private static final String DATA = """
            {"id":"a1","key":"a","steps":1,"targets":[{"t":1,"units":[0,1],"values":[1,0]}]}
            {"id":"b1","key":"b","steps":1,"targets":[{"t":1,"units":[0,1],"values":[1,0]}]}
            {"id":"a2","key":"a","steps":1,"targets":[{"t":1,"units":[0],"values":[0]}]}
            {"id":"c1","key":"c","steps":1,"targets":[{"t":1,"units":[0],"values":[1]}]}
            """;
    private static final double LOSS_A = (B * B + 0.5 * A * A) / 2;
    private static final double LOSS_B = A * A;
    private static final double LOSS_C = 0.125;

    @TempDir
    Path dir;
    private Path job;
    private Path params;
    private Path data;

    private static Network net(double b0, double b1) {
        return NetworkJson.parse("{\"units\": 3, \"outputUnits\": [0, 1, 2], " + ZEROS + ", \"biases\": [" + b0 + ", " + b1 + ", 0]}",
                "net", Limits.DEFAULT);
    }

    @BeforeEach
    void files() throws IOException {
        Files.writeString(dir.resolve("net.json"), NetworkJson.write(net(0, 0), null));
        job = Files.writeString(dir.resolve("devices.yaml"), "network: net.json\ntraining:\n  models: per-key\n");
        params = Files.writeString(dir.resolve("per-key.jsonl"), KeyedNetworks.write(List.of(
                new KeyedNetwork("b", 3, 12, net(-2, 2)),
                new KeyedNetwork("a", 5, 20, net(2, -2)),
                new KeyedNetwork("d", 1, 4, net(1, 1)))));
        data = Files.writeString(dir.resolve("held-out.jsonl"), DATA);
    }

    private TestSupport.Result evaluate(String... extra) {
        String[] base = {"evaluate", "--job", job.toString(), "--params", params.toString(), "--data", data.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return TestSupport.run(args);
    }

    @Test
    void evaluateSumsUpTheKeys() {
        TestSupport.Result r = evaluate();
        assertEquals(0, r.exitCode(), r.describe());
        String[] lines = r.out().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode out = TestSupport.json(lines[0]);
        assertEquals("devices", out.get("job").asText());
        assertEquals(3, out.get("models").asInt());
        assertEquals(3, out.get("keys").asInt(), "a, b and c have held-out sequences");
        assertEquals(4, out.get("sequences").asInt());
        assertEquals(0, out.get("keysAllRight").asInt());
        assertEquals(1, out.get("keysWithoutModel").asInt(), "c");
        assertEquals(1, out.get("modelsWithoutData").asInt(), "d");
        JsonNode loss = out.get("meanLoss");
        DescriptiveStatistics expected = new DescriptiveStatistics(new double[]{LOSS_A, LOSS_B, LOSS_C});
        assertEquals(expected.getMean(), loss.get("mean").asDouble(), 1e-15);
        assertEquals(LOSS_C, loss.get("min").asDouble(), 1e-15);
        assertEquals(LOSS_A, loss.get("p50").asDouble(), 1e-15, "the middle of three");
        assertEquals(LOSS_B, loss.get("max").asDouble(), 1e-15);
        assertEquals(expected.getPercentile(90), loss.get("p90").asDouble(), 1e-15);
        JsonNode right = out.get("fractionSequencesAllRight");
        assertEquals(0.5 / 3, right.get("mean").asDouble(), 1e-15, "a: 1 of 2; b, c: none");
        assertEquals(0.5, right.get("max").asDouble());
        JsonNode worst = out.get("highestLoss");
        assertEquals(List.of("b", "a", "c"), List.of(worst.get(0).get("key").asText(), worst.get(1).get("key").asText(),
                worst.get(2).get("key").asText()));
        assertFalse(worst.get(2).get("hasModel").asBoolean());
    }

    @Test
    void evaluateOneKeyAndEachKey() {
        TestSupport.Result r = evaluate("--key", "a");
        assertEquals(0, r.exitCode(), r.describe());
        JsonNode a = TestSupport.json(r.out().strip());
        assertEquals("a", a.get("key").asText());
        assertEquals(5, a.get("version").asInt());
        assertEquals(20, a.get("sequencesTrained").asInt());
        assertEquals(2, a.get("sequences").asInt());
        assertEquals(LOSS_A, a.get("meanLoss").asDouble(), 1e-15);
        assertEquals(0.5, a.get("fractionSequencesAllRight").asDouble());

        TestSupport.Result each = evaluate("--each");
        assertEquals(0, each.exitCode(), each.describe());
        String[] lines = each.out().split("\n");
        assertEquals(1 + 3, lines.length, each.out());
        assertEquals("a", TestSupport.json(lines[1]).get("key").asText());
        assertEquals(LOSS_B, TestSupport.json(lines[2]).get("meanLoss").asDouble(), 1e-15);
        JsonNode c = TestSupport.json(lines[3]);
        assertEquals("c", c.get("key").asText());
        assertFalse(c.get("hasModel").asBoolean(), "scored with the job's network");
        assertEquals(LOSS_C, c.get("meanLoss").asDouble(), 1e-15);

        // sequence 0 of key b, traced with b's model
        TestSupport.Result trace = evaluate("--key", "b", "--trace", "0");
        assertEquals(0, trace.exitCode(), trace.describe());
        String[] traced = trace.out().split("\n");
        assertEquals("b", TestSupport.json(traced[1]).get("key").asText());
        assertEquals(B, TestSupport.json(traced[3]).get("state").get(0).asDouble(), 1e-15);
    }

    @Test
    void evaluateRefusesWhatItCannotScore() throws IOException {
        TestSupport.Result none = evaluate("--key", "zz");
        assertEquals(Main.BAD_INPUT, none.exitCode(), none.describe());
        assertTrue(none.err().contains("no sequence of key \"zz\""), none.describe());

        Files.writeString(data, DATA + "{\"id\":\"lost\",\"steps\":1,\"targets\":[]}\n");
        TestSupport.Result keyless = evaluate();
        assertEquals(Main.BAD_INPUT, keyless.exitCode(), keyless.describe());
        assertTrue(keyless.err().contains("held-out.jsonl:5: key: missing"), keyless.describe());

        Path one = Files.writeString(dir.resolve("one.yaml"), "network: net.json\n");
        TestSupport.Result r = TestSupport.run("evaluate", "--job", one.toString(), "--params", dir.resolve("net.json").toString(),
                "--data", data.toString(), "--key", "a");
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(r.err().contains("--key and --each need a job with training.models: per-key"), r.describe());
    }

    @Test
    void plotDrawsTheKeysFromTheFile() throws IOException {
        Path png = dir.resolve("keys.png");
        TestSupport.Result r = TestSupport.run("plot", "--job", job.toString(), "--params", params.toString(),
                "--data", data.toString(), "--out", png.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.err().contains("plot: 3 keys (3 models), 0 with every held-out sequence right"), r.describe());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1100, image.getWidth());

        TestSupport.Result noData = TestSupport.run("plot", "--job", job.toString(), "--params", params.toString(),
                "--out", png.toString());
        assertEquals(Main.BAD_INPUT, noData.exitCode(), noData.describe());
        assertTrue(noData.err().contains("give --data"), noData.describe());
        TestSupport.Result both = TestSupport.run("plot", "--job", job.toString(), "--out", png.toString());
        assertEquals(Main.BAD_INPUT, both.exitCode(), both.describe());
        assertTrue(both.err().contains("give either --bootstrap-servers (a parameters topic) or --params"), both.describe());
        TestSupport.Result keyFromFile = TestSupport.run("plot", "--job", job.toString(), "--params", params.toString(),
                "--data", data.toString(), "--key", "a", "--out", png.toString());
        assertEquals(Main.BAD_INPUT, keyFromFile.exitCode(), keyFromFile.describe());
        assertTrue(keyFromFile.err().contains("one key's run comes from the parameters topic"), keyFromFile.describe());
    }
}
