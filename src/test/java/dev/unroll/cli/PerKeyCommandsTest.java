package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code training.models: per-key} through the commands, against the reference run pk1-three-keys. */
class PerKeyCommandsTest {
    private static final Path PK1 = TestSupport.examples().resolve("per-key/pk1-three-keys");

    @TempDir
    Path dir;

    @Test
    void trainWritesOneLinePerKeyAsTheReference() {
        Path out = dir.resolve("out.jsonl");
        TestSupport.Result r = TestSupport.run("train", "--job", PK1.resolve("job.yaml").toString(),
                "--data", PK1.resolve("data.jsonl").toString(), "--out", out.toString(), "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        TestSupport.assertSameKeyedParameters(PK1.resolve("expected.jsonl"), out);
    }

    @Test
    void aLineWithoutAKeyIsABadLine() throws IOException {
        List<String> lines = Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8);
        Path data = dir.resolve("data.jsonl");
        Files.write(data, List.of(lines.get(0), lines.get(1).replaceFirst(",\\s*\"key\":\\s*\"[^\"]*\"", "")), StandardCharsets.UTF_8);
        Files.copy(PK1.resolve("network.json"), dir.resolve("network.json"));
        Path job = Files.copy(PK1.resolve("job.yaml"), dir.resolve("job.yaml"));
        TestSupport.Result r = TestSupport.run("train", "--job", job.toString(), "--data", data.toString(),
                "--out", dir.resolve("out.jsonl").toString(), "--quiet");
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(r.err().contains("data.jsonl:2: key: missing: with training.models: per-key"), r.describe());
    }
}
