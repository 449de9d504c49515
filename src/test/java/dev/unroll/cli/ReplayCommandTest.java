package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.model.TestSupport;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code replay} and {@code train} tell a user about records they could not train on: the
 * count, the common reasons with line numbers, the records themselves with {@code --dead-letters},
 * and exit 2 when nothing was valid. Replay runs the real pipeline (embedded broker, MiniCluster).
 */
class ReplayCommandTest {
    private static final Path JOB = Path.of("jobs", "binary-addition.yaml");
    /** Bad lines by line number (from 1) in a file of 40 good sequences: the reason each must be given. */
    private static final Map<Integer, String[]> BAD = new TreeMap<>(Map.of(
            3, new String[]{"{\"steps\": 0, \"targets\": []}", "steps: must be at least 1, found 0"},
            10, new String[]{"not json", "not valid JSON"},
            11, new String[]{"", "empty"},
            30, new String[]{"{\"steps\": 0, \"targets\": []}", "steps: must be at least 1, found 0"}));

    @TempDir
    Path dir;

    @Test
    void replayReportsRejectedRecordsWithTheirLinesAsTrainSkipBadDoes() throws Exception {
        Path data = dir.resolve("data.jsonl");
        assertEquals(0, Main.run("produce", "--job", JOB.toString(), "--out", dir.resolve("good.jsonl").toString(),
                "--count", "40", "--seed", "3", "--quiet"));
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("good.jsonl")));
        BAD.forEach((line, bad) -> lines.add(line - 1, bad[0]));
        Files.write(data, lines);

        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        TestSupport.Result replay;
        try (WarningCapture capture = new WarningCapture(warnings)) {
            replay = TestSupport.run("replay", "--job", JOB.toString(), "--data", data.toString(),
                    "--out", dir.resolve("replay.json").toString(), "--dead-letters", dir.resolve("replay-dead.jsonl").toString(),
                    "--parallelism", "1", "--quiet");
        }
        assertEquals(0, replay.exitCode(), replay.describe());
        assertEquals(List.of(), warnings, "WARN lines logged by a normal replay");
        assertTrue(replay.err().contains("replay: 4 of 44 records rejected, not trained; the most common reasons:"), replay.describe());
        assertTrue(replay.err().contains("replay: 2 x steps: must be at least 1, found 0 (lines 3, 30)"), replay.describe());
        assertTrue(replay.err().contains("replay: 1 x not valid JSON"), replay.describe());
        assertTrue(replay.err().contains("(line 10)"), replay.describe());
        assertDeadLetters(dir.resolve("replay-dead.jsonl"), data);

        TestSupport.Result strict = TestSupport.run("train", "--job", JOB.toString(), "--data", data.toString(),
                "--out", dir.resolve("strict.json").toString(), "--quiet");
        assertEquals(Main.BAD_INPUT, strict.exitCode(), strict.describe());
        assertTrue(strict.err().startsWith(data + ":3: steps: must be at least 1"), strict.describe());
        assertTrue(Files.notExists(dir.resolve("strict.json")), "strict train wrote parameters");

        TestSupport.Result train = TestSupport.run("train", "--job", JOB.toString(), "--data", data.toString(),
                "--out", dir.resolve("train.json").toString(), "--skip-bad",
                "--dead-letters", dir.resolve("train-dead.jsonl").toString(), "--quiet");
        assertEquals(0, train.exitCode(), train.describe());
        assertTrue(train.err().contains("train: 4 of 44 records rejected, not trained; the most common reasons:"), train.describe());
        assertTrue(train.err().contains("train: 2 x steps: must be at least 1, found 0 (lines 3, 30)"), train.describe());
        assertDeadLetters(dir.resolve("train-dead.jsonl"), data);
        JsonNode trained = TestSupport.json(dir.resolve("train.json"));
        TestSupport.assertSameParameters(trained, TestSupport.json(dir.resolve("replay.json")));
        assertEquals(40, trained.at("/provenance/sequencesTrained").asLong());
    }

    @Test
    void noValidRecordIsExit2AndNoParameters() throws IOException {
        Path data = Files.write(dir.resolve("bad.jsonl"), List.of("{}", "not json", "{\"steps\": 0, \"targets\": []}"));
        Path out = dir.resolve("out.json");
        TestSupport.Result replay = TestSupport.run("replay", "--job", JOB.toString(), "--data", data.toString(),
                "--out", out.toString(), "--quiet");
        assertEquals(Main.BAD_INPUT, replay.exitCode(), replay.describe());
        assertTrue(replay.err().contains("replay: 3 of 3 records rejected"), replay.describe());
        assertTrue(replay.err().contains("replay: no record was a valid sequence; nothing written to " + out), replay.describe());
        assertTrue(Files.notExists(out), "replay wrote parameters");

        TestSupport.Result train = TestSupport.run("train", "--job", JOB.toString(), "--data", data.toString(),
                "--out", out.toString(), "--skip-bad", "--quiet");
        assertEquals(Main.BAD_INPUT, train.exitCode(), train.describe());
        assertTrue(train.err().contains("train: 3 of 3 records rejected"), train.describe());
        assertTrue(Files.notExists(out), "train wrote parameters");
    }

    @Test
    void deadLettersWithoutSkipBadIsAUsageError() {
        TestSupport.Result r = TestSupport.run("train", "--job", JOB.toString(), "--data", "any.jsonl",
                "--out", dir.resolve("out.json").toString(), "--dead-letters", dir.resolve("dead.jsonl").toString());
        assertEquals(2, r.exitCode(), r.describe());
        assertTrue(r.err().contains("--dead-letters needs --skip-bad"), r.describe());
    }

    /** One JSON line per bad line, in file order: its line, its text as it was, and the reason. */
    private static void assertDeadLetters(Path file, Path data) throws IOException {
        List<String> got = Files.readAllLines(file);
        assertEquals(BAD.size(), got.size(), String.join("\n", got));
        int k = 0;
        for (Map.Entry<Integer, String[]> bad : BAD.entrySet()) {
            JsonNode d = TestSupport.json(got.get(k++));
            assertEquals(bad.getKey(), d.get("line").asInt(), d.toString());
            assertEquals(data + ":" + bad.getKey(), d.get("source").asText(), d.toString());
            assertEquals("decode", d.get("stage").asText(), d.toString());
            assertEquals(bad.getValue()[0], d.get("record").asText(), d.toString());
            assertTrue(d.get("reason").asText().startsWith(bad.getValue()[1]), d.toString());
        }
    }

    /**
     * Switches logging to the configuration the commands ship with (tests otherwise get Flink's
     * test jars' log4j2-test.properties, which turns everything off) and collects the WARN and
     * ERROR events that reach its root logger.
     */
    private static final class WarningCapture extends AbstractAppender implements AutoCloseable {
        private final List<String> warnings;
        private final URI testConfig;

        WarningCapture(List<String> warnings) throws URISyntaxException {
            super("warning-capture", null, null, true, Property.EMPTY_ARRAY);
            this.warnings = warnings;
            start();
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            testConfig = ctx.getConfigLocation();
            URL shipped = Main.class.getResource("/log4j2.properties");
            assertTrue(shipped != null && shipped.getPath().contains("classes"), "the commands' logging configuration: " + shipped);
            ctx.setConfigLocation(shipped.toURI());
            ctx.getConfiguration().getRootLogger().addAppender(this, Level.WARN, null);
            ctx.updateLoggers();
        }

        @Override
        public void append(LogEvent event) {
            warnings.add(event.getLevel() + " " + event.getLoggerName() + " - " + event.getMessage().getFormattedMessage());
        }

        @Override
        public void close() {
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            ctx.getConfiguration().getRootLogger().removeAppender(getName());
            ctx.setConfigLocation(testConfig);
            stop();
        }
    }
}
