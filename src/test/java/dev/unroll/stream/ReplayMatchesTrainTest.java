package dev.unroll.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.cli.Main;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
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
 * `replay` as a user runs it (real embedded KRaft broker, real MiniCluster, parameter feedback
 * through Kafka, both parameter record formats, both sequence record formats) gives `train`'s parameters to 1e-9 on the reference
 * examples' networks with generated data: short final batches, a batch that ends exactly at the
 * end of the data, more shards than sequences per batch (empty shards), more stale batches than
 * batches, and bad lines in the file. The whole S = 0..8 x P = 1..3 matrix runs in memory
 * through the same job graph in {@link TrainingJobTest}, seconds instead of a minute.
 */
class ReplayMatchesTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    // in-process true: versions handed to the instances in memory; false: read back from the topic
    // sequence records: json, or avro (the file's valid lines published as Avro, its bad lines as they are)
    @ParameterizedTest(name = "{0}: {2} sequences, P={1}, S={5}, {3} bad lines, {4} parameter records, in-process {6}, {7} sequences")
    @CsvSource({
            "j1-tied-mask-b1, 2, 9, 0, binary, 0, true, json",   // batch 1 < P: one shard of every batch is empty
            "j2-tanh-b7, 2, 28, 0, json, 0, false, avro",        // ends exactly on a batch: an empty batch closes the input
            "j3-tied-b16, 2, 41, 3, binary, 0, true, avro",      // short final batch of 9; bad lines are dead-lettered, not trained
            "j2-tanh-b7, 3, 50, 2, binary, 3, false, json",      // short final batch of 1
            "j2-tanh-b7, 2, 70, 1, json, 5, true, json",         // ends exactly on a batch
            "j3-tied-b16, 3, 60, 0, binary, 8, false, avro",     // fewer batches than S: every gradient at version 0
    })
    void replayGivesTheTrainersParameters(String example, int parallelism, int count, int badLines, String format,
                                          int staleness, boolean inProcess, String sequenceFormat) throws Exception {
        Path source = TestSupport.examples().resolve("training").resolve(example);
        assertTrue(Files.isDirectory(source), "a reference example is missing: " + source.toAbsolutePath());
        Files.copy(source.resolve("network.json"), dir.resolve("network.json"));
        String job = Files.readString(source.resolve("job.yaml"));
        assertTrue(job.contains("training:\n"), "the example's job has a training section");
        Files.writeString(dir.resolve("job.yaml"), job.replace("training:\n", "training:\n  staleness: " + staleness + "\n")
                + "\nstream:\n  parameterFormat: " + format + "\n  inProcessVersions: " + inProcess
                + "\n  sequenceFormat: " + sequenceFormat + "\n");
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

    @org.junit.jupiter.api.Test
    void aSequenceWhoseGradientOverflowsIsLeftOutAtAnyStaleness() throws Exception {
        // linear units with weights 3: states grow as 9^t, so the 1000-step sequence overflows
        Files.writeString(dir.resolve("net.json"), "{\"units\": 2, \"activation\": \"linear\","
                + " \"weights\": [[3,3],[3,3]], \"biases\": [0,0], \"initialState\": [0.5,0.5]}");
        Files.writeString(dir.resolve("job.yaml"), "name: overflow-stale\nnetwork: net.json\n"
                + "training:\n  batchSize: 4\n  learningRate: 0.0001\n  staleness: 2\n  momentum: 0.3\n");
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < 19; k++) {
            lines.add(k == 9 ? "{\"steps\": 1000, \"targets\": [{\"t\": 1000, \"units\": [0], \"values\": [1]}]}"
                    : "{\"steps\": " + (1 + k % 3) + ", \"targets\": [{\"t\": 1, \"units\": [0], \"values\": [" + (k % 2) + "]}]}");
        }
        Files.write(dir.resolve("data.jsonl"), lines);
        assertEquals(0, Main.run("train", "--job", dir.resolve("job.yaml").toString(),
                "--data", dir.resolve("data.jsonl").toString(), "--out", dir.resolve("train.json").toString(), "--quiet"));
        assertEquals(0, Main.run("replay", "--job", dir.resolve("job.yaml").toString(), "--parallelism", "2",
                "--data", dir.resolve("data.jsonl").toString(), "--out", dir.resolve("replay.json").toString(), "--quiet"));
        JsonNode train = JSON.readTree(dir.resolve("train.json").toFile());
        JsonNode replay = JSON.readTree(dir.resolve("replay.json").toFile());
        TestSupport.assertSameParameters(train, replay);
        assertEquals(18, train.at("/provenance/sequencesTrained").asLong(), "the overflowing sequence is left out");
        assertEquals(18, replay.at("/provenance/sequencesTrained").asLong(), "the overflowing sequence is left out");
    }
}
