package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import dev.unroll.model.TinyLinearNet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code train} command as a program: the hand-checked two-update example through real files,
 * its progress line, what it writes, and its errors. The reference runs are checked by
 * {@code dev.unroll.model.ReferenceTrainingTest}.
 */
class TrainCommandTest {
    @TempDir
    Path dir;
    Path job;
    Path data;
    Path net;

    /** jobs/tiny.yaml pointing at ../nets/tiny.json, and data/tiny.jsonl with the three sequences. */
    private void writeTinyExample(String extraTraining) throws IOException {
        Files.createDirectories(dir.resolve("jobs"));
        Files.createDirectories(dir.resolve("nets"));
        Files.createDirectories(dir.resolve("data"));
        net = Files.writeString(dir.resolve("nets/tiny.json"), TinyLinearNet.networkJson());
        job = Files.writeString(dir.resolve("jobs/tiny.yaml"), "network: ../nets/tiny.json\ntraining:\n  batchSize: "
                + TinyLinearNet.BATCH_SIZE + "\n  learningRate: " + TinyLinearNet.LEARNING_RATE + "\n" + extraTraining);
        data = Files.writeString(dir.resolve("data/tiny.jsonl"),
                TinyLinearNet.SEQUENCES.stream().map(TinyLinearNet.Seq::json).collect(Collectors.joining("\n", "", "\n")));
    }

    private TestSupport.Result train(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--job", job.toString(), "--data", data.toString(),
                "--out", out.toString()));
        args.addAll(List.of(more));
        return TestSupport.run(args.toArray(new String[0]));
    }

    @Test
    void twoUpdatesThroughFilesMatchTheHandDerivedRule() throws Exception {
        writeTinyExample("");
        Path out = dir.resolve("out/params.json");
        TestSupport.Result r = train(out, "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.err());
        assertEquals("", r.out());

        Network trained = NetworkJson.read(out, Limits.DEFAULT);
        double off = TinyLinearNet.distance(trained.parameters(), TinyLinearNet.expectedAfterOnePass(true));
        assertTrue(off <= 1e-13, "trained parameters differ from the hand-derived rule by " + off);
        assertTrue(TinyLinearNet.distance(trained.parameters(), TinyLinearNet.wronglyAveraged()) > 1e-4);
        assertTrue(trained.sameStructure(NetworkJson.read(net, Limits.DEFAULT)));

        JsonNode provenance = TestSupport.json(out).get("provenance");
        assertEquals("tiny", provenance.get("job").textValue());
        assertEquals(2, provenance.get("version").intValue());
        assertEquals(3, provenance.get("sequencesTrained").intValue());
        // enough to reproduce it: every setting, the data file by its digest, the code
        assertEquals(2, provenance.get("settings").get("training.batchSize").intValue());
        assertEquals(data.toAbsolutePath().normalize().toString(), provenance.get("data").get("file").textValue());
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(data))), provenance.get("data").get("sha256").textValue());
        assertTrue(provenance.get("code").has("commit"));
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary files left beside the output");
        }
    }

    @Test
    void frozenInitialStatesStayBitForBit() throws IOException {
        writeTinyExample("  learnInitialState: false\n");
        Path out = dir.resolve("params.json");
        TestSupport.Result r = train(out, "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        Network trained = NetworkJson.read(out, Limits.DEFAULT);
        assertArrayEquals(TinyLinearNet.S0, trained.parameters().initialState);
        assertTrue(TinyLinearNet.distance(trained.parameters(), TinyLinearNet.expectedAfterOnePass(false)) <= 1e-13);
    }

    @Test
    void reportsProgressOnStderrUnlessQuiet() throws IOException {
        writeTinyExample("");
        TestSupport.Result r = train(dir.resolve("params.json"));
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.out());
        assertTrue(r.err().contains("train: version 2, 3 sequences"), r.err());
    }

    @Test
    void sameInputsGiveTheSameParametersAndOverwriteTheOutput() throws IOException {
        writeTinyExample("");
        Path out = Files.writeString(dir.resolve("params.json"), "stale");
        assertEquals(0, train(out, "--quiet").exitCode());
        Network first = NetworkJson.read(out, Limits.DEFAULT);
        assertEquals(0, train(out, "--quiet").exitCode());
        Network second = NetworkJson.read(out, Limits.DEFAULT);
        assertEquals(first.parameters(), second.parameters());
    }

    @Test
    void noDataWritesTheInitialNetwork() throws IOException {
        writeTinyExample("");
        Files.writeString(data, "");
        Path out = dir.resolve("params.json");
        TestSupport.Result r = train(out, "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(NetworkJson.read(net, Limits.DEFAULT).parameters(), NetworkJson.read(out, Limits.DEFAULT).parameters());
        assertEquals(0, TestSupport.json(out).get("provenance").get("version").intValue());
    }

    @Test
    void aBadLineNamesTheFileLineAndField() throws IOException {
        writeTinyExample("");
        List<String> lines = Files.readAllLines(data);
        Files.write(data, List.of(lines.get(0), lines.get(1).replace("\"t\":2", "\"t\":3"), lines.get(2)));
        Path out = dir.resolve("params.json");
        TestSupport.Result r = train(out, "--quiet");
        assertOneLineError(r, data + ":2: targets[1].t: ");
        assertFalse(Files.exists(out), "nothing is written after bad input");
    }

    @Test
    void aMissingDataFileIsBadInput() throws IOException {
        writeTinyExample("");
        Files.delete(data);
        assertOneLineError(train(dir.resolve("params.json"), "--quiet"), data + ": no such file");
    }

    @Test
    void anUnknownJobKeyIsBadInput() throws IOException {
        writeTinyExample("  learningrate: 0.5\n");
        assertOneLineError(train(dir.resolve("params.json"), "--quiet"), job + ": training.learningrate: ");
    }

    @Test
    void aBrokenNetworkFileIsBadInput() throws IOException {
        writeTinyExample("");
        Files.writeString(net, TinyLinearNet.networkJson().replace("\"activation\":\"linear\"", "\"activation\":\"relu\""));
        assertOneLineError(train(dir.resolve("params.json"), "--quiet"), net.toAbsolutePath().normalize() + ": activation: ");
    }

    @Test
    void aMissingJobFileIsBadInput() throws IOException {
        writeTinyExample("");
        Files.delete(job);
        assertOneLineError(train(dir.resolve("params.json"), "--quiet"), job + ": no such file");
    }

    private static void assertOneLineError(TestSupport.Result r, String start) {
        assertEquals(2, r.exitCode(), r.describe());
        assertEquals("", r.out());
        String err = r.err();
        assertTrue(err.startsWith(start), "expected the error to start with " + start + ": " + err);
        assertTrue(err.endsWith("\n") && err.indexOf('\n') == err.length() - 1, "exactly one line: " + err);
        assertFalse(err.contains("at dev."), err);
    }
}
