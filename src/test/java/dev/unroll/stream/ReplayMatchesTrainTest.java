package dev.unroll.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.cli.Main;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.NetworkJson;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streaming pipeline (real embedded KRaft broker, real MiniCluster, parameter feedback
 * through Kafka) gives the offline trainer's parameters to 1e-9, at P = 1 and 2, on the public
 * examples' networks with generated data: short final batches, batches that end exactly at the
 * end of the data, more shards than sequences per batch (empty shards), and bad lines in the file.
 */
class ReplayMatchesTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}: {2} sequences, P={1}, {3} bad lines, {4} parameter records")
    @CsvSource({
            "j1-tied-mask-b1, 2, 9, 0, binary",   // batch 1 < P: one shard of every batch is empty
            "j2-tanh-b7, 1, 30, 0, binary",       // short final batch of 2
            "j2-tanh-b7, 2, 28, 0, json",         // ends exactly on a batch: an empty batch closes the input
            "j3-tied-b16, 2, 41, 3, binary",      // short final batch of 9; bad lines are dead-lettered, not trained
    })
    void replayGivesTheTrainersParameters(String example, int parallelism, int count, int badLines, String format)
            throws Exception {
        Path source = TestSupport.examples().resolve("training").resolve(example);
        assertTrue(Files.isDirectory(source), "a reference example is missing: " + source.toAbsolutePath());
        Files.copy(source.resolve("network.json"), dir.resolve("network.json"));
        Files.writeString(dir.resolve("job.yaml"), Files.readString(source.resolve("job.yaml"))
                + "\nstream:\n  parameterFormat: " + format + "\n");
        Network net = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
        List<String> good = RandomSequences.jsonLines(net, example.hashCode(), count);
        List<String> withBad = new ArrayList<>(good);
        for (int k = 0; k < badLines; k++) {
            withBad.add(1 + 7 * k, k % 2 == 0 ? "{\"steps\": 0, \"targets\": []}" : "not json at all");
        }
        Files.write(dir.resolve("good.jsonl"), good);
        Files.write(dir.resolve("stream.jsonl"), withBad);

        assertEquals(0, Main.run("train", "--job", dir.resolve("job.yaml").toString(),
                "--data", dir.resolve("good.jsonl").toString(), "--out", dir.resolve("train.json").toString(), "--quiet"));
        assertEquals(0, Main.run("replay", "--job", dir.resolve("job.yaml").toString(),
                "--data", dir.resolve("stream.jsonl").toString(), "--out", dir.resolve("replay.json").toString(),
                "--parallelism", Integer.toString(parallelism), "--quiet"));

        JsonNode train = JSON.readTree(dir.resolve("train.json").toFile());
        JsonNode replay = JSON.readTree(dir.resolve("replay.json").toFile());
        TestSupport.assertSameParameters(train, replay);
        assertEquals(count, replay.at("/provenance/sequencesTrained").asLong(), "sequences trained");
        assertEquals(train.at("/provenance/version").asLong(), replay.at("/provenance/version").asLong(), "versions");
    }
}
