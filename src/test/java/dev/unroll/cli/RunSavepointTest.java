package dev.unroll.cli;

import dev.unroll.model.TestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run} stopped with a savepoint part-way and resumed from it ends with the parameters of
 * an uninterrupted run (the offline trainer over the same records), each sequence counted once,
 * also when it resumes at another parallelism; under momentum, and under Adam, whose moments the
 * savepoint carries.
 */
class RunSavepointTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "parallelism {0}, resumed at {1}, staleness {2}, {3}")
    // StopAndResumeTest stops and resumes the job graph itself at random P and S; here, the command's way
    @CsvSource({"2, 1, 0, momentum", "1, 3, 2, adam"})
    void stopAndResumeGivesTheUninterruptedParameters(int before, int after, int staleness, String rule) throws Exception {
        Path example = TestSupport.examples().resolve("training").resolve("j2-tanh-b7");
        Files.copy(example.resolve("network.json"), dir.resolve("network.json"));
        Path job = dir.resolve("resume.yaml");
        String update = rule.equals("adam") ? "  optimizer: adam\n  learningRate: 0.01\n"
                : "  learningRate: 0.05\n  momentum: 0.5\n";
        Files.writeString(job, "name: resume\nnetwork: network.json\ntraining:\n  batchSize: 6\n" + update
                + "  staleness: " + staleness + "\nstream:\n  checkpointIntervalMs: 200\ntopics:\n  partitions: 1\n");
        List<String> lines = Files.readAllLines(example.resolve("data.jsonl"));
        // 1,800 sequences, 300 batches: the stop after 24 comes well before the end even on a loaded
        // machine (the backlog waits in Kafka, and the job trains on while the stop is on its way)
        List<String> data = Stream.generate(() -> lines).limit(60).flatMap(List::stream).toList();
        Files.write(dir.resolve("data.jsonl"), data);
        assertEquals(0, Main.run("train", "--job", job.toString(), "--data", dir.resolve("data.jsonl").toString(),
                "--out", dir.resolve("uninterrupted.json").toString(), "--quiet"));

        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            String servers = broker.bootstrapServers();
            broker.createTopic("unroll.resume.sequences", 1);
            FilePublisher.publishLines(KafkaClients.producerProps(servers), "unroll.resume.sequences", dir.resolve("data.jsonl"));
            Path savepoints = dir.resolve("savepoints");
            assertEquals(0, Main.run("run", "--job", job.toString(), "--bootstrap-servers", servers, "--quiet",
                    "--max-sequences", "24", "--state-dir", dir.resolve("state").toString(), "--parallelism", Integer.toString(before), "--savepoint-dir", savepoints.toUri().toString(),
                    "--out", dir.resolve("first.json").toString()));
            JsonNode first = new ObjectMapper().readTree(dir.resolve("first.json").toFile());
            long trainedBeforeStop = first.at("/provenance/sequencesTrained").asLong();
            assertTrue(trainedBeforeStop >= 24 && trainedBeforeStop < data.size(), "stopped part-way: " + trainedBeforeStop);

            Path savepoint;
            try (Stream<Path> found = Files.list(savepoints)) {
                savepoint = found.filter(p -> p.getFileName().toString().startsWith("savepoint-")).findFirst().orElseThrow();
            }
            assertEquals(0, Main.run("run", "--job", job.toString(), "--bootstrap-servers", servers, "--quiet",
                    "--max-sequences", Integer.toString(data.size()), "--max-seconds", "120", "--state-dir", dir.resolve("state").toString(), "--parallelism", Integer.toString(after),
                    // "latest" would skip the records: only the savepoint's offsets can bring them back
                    "--from", "latest", "--resume-from", savepoint.toUri().toString(),
                    "--out", dir.resolve("resumed.json").toString()));
        }
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("uninterrupted.json").toFile());
        JsonNode resumed = new ObjectMapper().readTree(dir.resolve("resumed.json").toFile());
        assertEquals(data.size(), resumed.at("/provenance/sequencesTrained").asLong(), "each sequence once");
        assertEquals(data.size() / 6, resumed.at("/provenance/version").asLong());
        for (String field : new String[] {"weights", "biases", "initialState"}) {
            double[] e = flat(expected.get(field));
            double[] g = flat(resumed.get(field));
            for (int k = 0; k < e.length; k++) {
                assertTrue(Math.abs(g[k] - e[k]) <= 1e-9 * Math.max(1, Math.abs(e[k])),
                        field + "[" + k + "]: resumed " + g[k] + ", uninterrupted " + e[k]);
            }
        }
    }

    private static double[] flat(JsonNode node) {
        return Stream.of(node).flatMap(n -> n.isArray() && n.get(0).isArray()
                ? Stream.iterate(0, i -> i < n.size(), i -> i + 1).map(n::get) : Stream.of(n))
                .flatMapToDouble(row -> Stream.iterate(0, i -> i < row.size(), i -> i + 1).mapToDouble(i -> row.get(i).doubleValue()))
                .toArray();
    }
}
