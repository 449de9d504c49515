package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Sequence;
import dev.unroll.model.TestSupport;
import dev.unroll.report.History;
import dev.unroll.task.Evaluation;
import dev.unroll.task.Tasks;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code demo} command for real, in-process: an embedded broker, the live job on a
 * MiniCluster, the producer thread and held-out scoring, on binary addition of numbers up to
 * 3 bits (the job's network and rule; a larger step and one partition, so it learns in a few
 * thousand sequences, in the same order every time). And {@code plot} redrawing a history.
 */
class DemoCommandTest {
    private static final int BATCH = 16;
    private static final int HELD_OUT = 200;

    @TempDir
    Path dir;

    /** Binary addition of 1..3-bit numbers with the binary-addition job's network. */
    private Path shortAdditionJob() throws IOException {
        Files.copy(Path.of("jobs", "binary-addition.network.json"), dir.resolve("net.json"));
        return Files.writeString(dir.resolve("short-addition.yaml"), """
                name: short-addition
                network: net.json
                training:
                  batchSize: %d
                  learningRate: 0.5
                  momentum: 0.9
                stream:
                  parallelism: 2
                topics:
                  partitions: 1
                task:
                  type: binary-addition
                  minBits: 1
                  maxBits: 3
                  delay: 2
                """.formatted(BATCH));
    }

    @Test
    void learnsShortBinaryAdditionThroughTheLiveJobAndWritesTheRun() throws Exception {
        Path job = shortAdditionJob();
        Path out = dir.resolve("run");
        TestSupport.Result r = TestSupport.run("demo", "--job", job.toString(), "--out-dir", out.toString(),
                "--held-out", String.valueOf(HELD_OUT), "--max-sequences", "30000", "--max-minutes", "4", "--seed", "1");
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("reached 100% held-out accuracy"), r.describe());
        assertTrue(r.err().contains("% held-out, "), "a progress line: " + r.describe());
        assertTrue(r.err().contains(", 0 dead letters, "), "the dead-letter count in the progress line: " + r.describe());

        // history.csv: every version in order from 0, each holding batchSize more sequences, the last all right
        History history = History.read(out.resolve("history.csv"));
        List<History.Point> points = history.points();
        assertTrue(points.size() >= 2, "versions: " + points.size());
        for (int k = 0; k < points.size(); k++) {
            History.Point p = points.get(k);
            assertEquals(k, p.version(), "versions in order");
            assertEquals((long) BATCH * k, p.sequencesTrained(), "sequences at version " + k);
            assertEquals(k > 0, Double.isFinite(p.batchLoss()), "a batch loss from version 1 on");
        }
        History.Point last = history.last();
        assertEquals(1.0, last.heldOutAccuracy(), "the final version gets every held-out sequence right");
        assertEquals(1, points.stream().filter(p -> p.heldOutAccuracy() == 1.0).count(), "it stops at the first that does");

        // parameters.json: that version, with provenance, and it really does add the held-out numbers
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        Network trained = NetworkJson.read(out.resolve("parameters.json"), config.limits());
        assertTrue(trained.sameStructure(initial));
        JsonNode provenance = TestSupport.json(out.resolve("parameters.json")).get("provenance");
        assertEquals("unroll demo", provenance.get("producedBy").asText());
        assertEquals(last.version(), provenance.get("version").asLong());
        assertEquals(last.sequencesTrained(), provenance.get("sequencesTrained").asLong());
        assertEquals(1.0, provenance.get("heldOutAccuracy").asDouble());
        List<Sequence> heldOut = Tasks.sample(Tasks.fromJob(config, initial), 1 + DemoCommand.HELD_OUT_SEED_OFFSET,
                HELD_OUT, null);
        assertEquals(1.0, Evaluation.of(trained, heldOut, 0).fractionSequencesAllRight());

        assertPng(out.resolve("training.png"));

        // it ends by asking the live job four additions through its requests topic
        List<String> asked = r.out().lines().filter(l -> l.startsWith("demo: asked the live job")).toList();
        assertEquals(4, asked.size(), r.describe());
        assertTrue(asked.stream().filter(l -> l.endsWith(", right)")).count() >= 3,
                "a network right on every held-out addition answers (nearly) all four right: " + asked);
    }

    @Test
    void aBudgetThatRunsOutExitsOneAndStillWritesTheRun() throws Exception {
        Path job = shortAdditionJob();
        Path out = dir.resolve("short");
        TestSupport.Result r = TestSupport.run("demo", "--job", job.toString(), "--out-dir", out.toString(),
                "--max-sequences", "40", "--quiet");
        assertEquals(1, r.exitCode(), r.describe());
        assertTrue(r.err().contains("the budget of 40 sequences ran out"), r.describe());
        History history = History.read(out.resolve("history.csv"));
        // 40 sequences are 2.5 batches: the producer rounds up to whole batches, the run stops at 48
        assertEquals(3, history.last().version(), r.describe());
        assertTrue(history.last().scored(), "the kept version is scored");
        assertTrue(Files.isRegularFile(out.resolve("parameters.json")));
        assertPng(out.resolve("training.png"));
    }

    @Test
    void badOptionsExitTwo() {
        TestSupport.Result r = TestSupport.run("demo", "--held-out", "0", "--out-dir", dir.resolve("x").toString());
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(r.err().contains("--held-out must be at least 1"), r.describe());
    }

    @Test
    void plotRedrawsAHistoryFile() throws Exception {
        Path csv = Files.writeString(dir.resolve("history.csv"), """
                version,sequencesTrained,batchLoss,heldOutAccuracy,seconds
                0,0,,0.05,0.000
                1,16,4.1,,0.020
                2,32,3.2,0.4,0.041
                3,48,0.9,1.0,0.060
                """);
        Path png = dir.resolve("plots/training.png");
        TestSupport.Result r = TestSupport.run("plot", "--history", csv.toString(), "--out", png.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.err().contains("4 versions, up to version 3 (48 sequences), held-out all right first at version 3 (48 sequences)"),
                r.describe());
        assertPng(png);
    }

    @Test
    void plotOfABadHistoryNamesTheLine() throws Exception {
        Path csv = Files.writeString(dir.resolve("history.csv"), """
                version,sequencesTrained,batchLoss,heldOutAccuracy,seconds
                0,0,,0.05,0.000
                1,16,four,,0.020
                """);
        TestSupport.Result r = TestSupport.run("plot", "--history", csv.toString(), "--out", dir.resolve("p.png").toString());
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(r.err().contains("history.csv: line 3: batchLoss: must be a number or empty"), r.describe());
        assertTrue(Files.notExists(dir.resolve("p.png")));
    }

    static void assertPng(Path png) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " exists");
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, png + " is an image ImageIO can read");
        assertTrue(image.getWidth() > 0 && image.getHeight() > 0);
        byte[] head = Files.readAllBytes(png);
        assertEquals((byte) 0x89, head[0]);
        assertEquals("PNG", new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII));
    }
}
