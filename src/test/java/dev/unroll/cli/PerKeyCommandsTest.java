package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.unroll.format.PredictionJson;

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
    void replayThroughTheBrokerWritesWhatTrainWrites() throws IOException {
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8));
        lines.add(4, lines.get(0).replaceFirst(",\\s*\"key\":\\s*\"[^\"]*\"", ""));
        Path data = Files.write(dir.resolve("data.jsonl"), lines, StandardCharsets.UTF_8);
        Path out = dir.resolve("replay.jsonl");
        Path dead = dir.resolve("dead.jsonl");
        TestSupport.Result r = TestSupport.run("replay", "--job", PK1.resolve("job.yaml").toString(),
                "--data", data.toString(), "--out", out.toString(), "--parallelism", "2", "--dead-letters", dead.toString(),
                "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        TestSupport.assertSameKeyedParameters(PK1.resolve("expected.jsonl"), out);
        List<String> rejected = Files.readAllLines(dead, StandardCharsets.UTF_8);
        assertEquals(1, rejected.size(), "the line with no key");
        assertTrue(rejected.get(0).contains(data + ":5"), "named by its line: " + rejected.get(0));
    }

    @Test
    void predictAnswersEachSequenceWithItsKeysModel() throws IOException {
        JobConfig config = JobConfig.read(PK1.resolve("job.yaml"));
        Network jobNetwork = config.loadNetwork();
        Map<String, Network> trained = new HashMap<>();
        KeyedNetworks.read(PK1.resolve("expected.jsonl"), config.limits()).forEach(e -> trained.put(e.key(), e.network()));
        List<String> lines = Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8);
        List<String> asked = List.of(lines.get(0), lines.get(1), lines.get(2).replaceFirst("\"key\":\\s*\"[^\"]*\"", "\"key\": \"new-key\""));
        Path data = Files.write(dir.resolve("asked.jsonl"), asked, StandardCharsets.UTF_8);
        Path out = dir.resolve("predictions.jsonl");
        TestSupport.Result r = TestSupport.run("predict", "--job", PK1.resolve("job.yaml").toString(),
                "--params", PK1.resolve("expected.jsonl").toString(), "--data", data.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        List<String> got = Files.readAllLines(out, StandardCharsets.UTF_8);
        for (int k = 0; k < asked.size(); k++) {
            Sequence seq = SequenceJson.parse(asked.get(k), "asked", jobNetwork, config.limits());
            Network model = trained.getOrDefault(seq.key(), jobNetwork);
            assertEquals(k < 2, trained.containsKey(seq.key()), "the third key has no model: the job's network answers");
            assertEquals(PredictionJson.write(Prediction.of(model, seq)), got.get(k));
        }
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
