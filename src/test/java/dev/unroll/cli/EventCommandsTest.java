package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.events.EventJobs;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code assemble}, {@code train --events} and {@code replay --events} as a user runs them: the
 * stream over a real broker ends with the offline rule's parameters, and a bad file is a one-line
 * error naming the line and the field.
 */
class EventCommandsTest {
    private static final long BOUND = 2_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void replayOfEventsThroughABrokerEqualsTrainingOnWhatAssembleCuts() throws Exception {
        Path job = EventJobs.write(dir, EventJobs.SESSION, BOUND, "one").file();
        List<String> lines = new ArrayList<>(EventJobs.readings(4, 60, BOUND, 8));
        lines.add(33, "{\"device\":\"dev-2\",\"ts\":\"yesterday\",\"temp\":20}");
        Path events = Files.write(dir.resolve("events.jsonl"), lines);

        TestSupport.Result assemble = TestSupport.run("assemble", "--job", job.toString(), "--events", events.toString(),
                "--out", dir.resolve("cut.jsonl").toString(), "--skip-bad");
        assertEquals(0, assemble.exitCode(), assemble.describe());
        assertTrue(assemble.err().contains("240 events, "), assemble.err());
        assertTrue(assemble.err().contains("ts: must be an ISO-8601 time with an offset") && assemble.err().contains("(line 34)"),
                assemble.err());
        List<String> cut = Files.readAllLines(dir.resolve("cut.jsonl"));
        assertTrue(cut.size() > 30, cut.size() + " sequences");
        assertTrue(cut.get(0).startsWith("{\"id\":\"dev-"), "each with its key and event-time range: " + cut.get(0));

        String[] train = {"--job", job.toString(), "--quiet"};
        assertEquals(0, Main.run(concat("train", train, "--events", events.toString(), "--skip-bad",
                "--out", dir.resolve("train-events.json").toString())));
        assertEquals(0, Main.run(concat("train", train, "--data", dir.resolve("cut.jsonl").toString(),
                "--out", dir.resolve("train-cut.json").toString())));
        TestSupport.assertSameParameters(TestSupport.json(dir.resolve("train-cut.json")),
                TestSupport.json(dir.resolve("train-events.json")));

        TestSupport.Result replay = TestSupport.run(concat("replay", train, "--events", events.toString(),
                "--parallelism", "2", "--out", dir.resolve("replay.json").toString(),
                "--dead-letters", dir.resolve("dead.jsonl").toString()));
        assertEquals(0, replay.exitCode(), replay.describe());
        TestSupport.assertSameParameters(TestSupport.json(dir.resolve("train-events.json")),
                TestSupport.json(dir.resolve("replay.json")));
        assertEquals(cut.size(), TestSupport.json(dir.resolve("replay.json")).at("/provenance/sequencesTrained").asInt());
        List<String> dead = Files.readAllLines(dir.resolve("dead.jsonl"));
        assertEquals(1, dead.size(), "the one line that is not an event");
        assertTrue(dead.get(0).contains("\"line\":34"), dead.get(0));
    }

    @Test
    @Timeout(240)
    void avroEventsThroughABrokerTrainAsTheirLinesDo() throws Exception {
        Files.writeString(dir.resolve("events.avsc"), "{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
                + "{\"name\":\"device\",\"type\":\"string\"},{\"name\":\"ts\",\"type\":\"long\"},"
                + "{\"name\":\"temp\",\"type\":[\"null\",\"double\"],\"default\":null}]}");
        Path job = EventJobs.write(dir, EventJobs.COUNT, BOUND, "one", "  format: avro\n  schema: events.avsc\n").file();
        List<String> lines = new ArrayList<>(EventJobs.readings(3, 40, BOUND, 5));
        // an Avro record with a null reading: the job dead-letters it, as the offline rule skips the line
        lines.add(20, "{\"device\":\"dev-1\",\"ts\":1765000030000,\"unit\":\"C\"}");
        Path events = Files.write(dir.resolve("events.jsonl"), lines);

        String[] train = {"--job", job.toString(), "--quiet"};
        assertEquals(0, Main.run(concat("train", train, "--events", events.toString(), "--skip-bad",
                "--out", dir.resolve("train.json").toString())));
        TestSupport.Result replay = TestSupport.run(concat("replay", train, "--events", events.toString(),
                "--parallelism", "2", "--out", dir.resolve("replay.json").toString(),
                "--dead-letters", dir.resolve("dead.jsonl").toString()));
        assertEquals(0, replay.exitCode(), replay.describe());
        TestSupport.assertSameParameters(TestSupport.json(dir.resolve("train.json")),
                TestSupport.json(dir.resolve("replay.json")));
        List<String> dead = Files.readAllLines(dir.resolve("dead.jsonl"));
        assertEquals(1, dead.size(), String.join("\n", dead));
        JsonNode letter = new ObjectMapper().readTree(dead.get(0));
        assertTrue(letter.get("reason").asText().endsWith("temp: missing"), dead.get(0));
        byte[] record = Base64.getDecoder().decode(letter.get("recordBase64").asText());
        assertEquals(0xC3, record[0] & 0xFF, "the topic held the Avro record");
        assertEquals(0x01, record[1]);
    }

    @Test
    void aBadEventLineIsAOneLineErrorUnlessSkipped() throws Exception {
        Path job = EventJobs.write(dir, EventJobs.COUNT, BOUND, "one").file();
        Path events = Files.write(dir.resolve("events.jsonl"), List.of(
                "{\"device\":\"a\",\"ts\":1000,\"temp\":20}", "{\"device\":\"a\",\"ts\":2000,\"temp\":\"warm\"}"));
        TestSupport.Result r = TestSupport.run("assemble", "--job", job.toString(), "--events", events.toString(),
                "--out", dir.resolve("out.jsonl").toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertEquals(events + ":2: temp: must be a number, found a string", r.err().strip());
        assertTrue(Files.notExists(dir.resolve("out.jsonl")), "nothing written");
    }

    @Test
    void eventsNeedAJobWithAnEventsSection() {
        Path job = Path.of("jobs", "binary-addition.yaml");
        TestSupport.Result r = TestSupport.run("train", "--job", job.toString(), "--events", "whatever.jsonl",
                "--out", dir.resolve("out.json").toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().strip().endsWith("events: missing: --events needs a job with an events section (see docs/events.md)"),
                r.err());
    }

    private static String[] concat(String command, String[] common, String... more) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(common));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }
}
