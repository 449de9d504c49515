package dev.unroll.cli;

import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run}'s progress line counts the records the job dead-letters, not only the ones it trains. */
class RunProgressTest {
    private static final Path JOB = Path.of("jobs", "binary-addition.yaml");

    @TempDir
    Path dir;

    @Test
    void theProgressLineShowsTheDeadLetterCount() throws Exception {
        assertEquals(0, Main.run("produce", "--job", JOB.toString(), "--out", dir.resolve("good.jsonl").toString(),
                "--count", "32", "--seed", "5", "--quiet"));
        List<String> lines = new ArrayList<>(List.of("not json", "{\"steps\": 0, \"targets\": []}", "[]"));
        lines.addAll(Files.readAllLines(dir.resolve("good.jsonl")));
        Path data = Files.write(dir.resolve("data.jsonl"), lines);
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            // one partition, bad records first: they are dead-lettered before the 32 good ones are trained
            broker.createTopic("unroll.binary-addition.sequences", 1);
            FilePublisher.publishLines(KafkaClients.producerProps(broker.bootstrapServers()),
                    "unroll.binary-addition.sequences", data);
            TestSupport.Result r = TestSupport.run("run", "--job", JOB.toString(), "--bootstrap-servers",
                    broker.bootstrapServers(), "--state-dir", dir.resolve("state").toString(), "--max-sequences", "32",
                    "--max-seconds", "120");
            assertEquals(0, r.exitCode(), r.describe());
            String last = r.err().substring(r.err().lastIndexOf('\r') + 1);
            assertTrue(last.startsWith("run: version 2, 32 sequences, batch loss "), r.describe());
            assertTrue(last.contains(", 3 dead letters, "), r.describe());
        }
    }
}
