package dev.unroll.job;

import dev.unroll.events.EventInput;
import dev.unroll.events.EventRule;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The events section of a job file: its keys, their checks, and their fit to the network. */
class EventsConfigTest {
    @TempDir
    Path dir;

    /** Two input units (0, 1) and one output unit (3). */
    private Network network() throws IOException {
        Path net = Files.writeString(dir.resolve("net.json"), "{\"units\": 4, \"inputUnits\": [0, 1], \"outputUnits\": [3],"
                + " \"weights\": [[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0]], \"biases\": [0,0,0,0],"
                + " \"initialState\": [0,0,0,0]}");
        return NetworkJson.read(net, dev.unroll.model.Limits.DEFAULT);
    }

    private JobConfig job(String events) throws IOException {
        return JobConfig.read(Files.writeString(dir.resolve("job.yaml"), "name: ev\nnetwork: net.json\nevents:\n" + events));
    }

    @Test
    void aJobWithoutAnEventsSectionReadsSequences() throws IOException {
        JobConfig c = JobConfig.read(Files.writeString(dir.resolve("plain.yaml"), "network: net.json\n"));
        assertFalse(c.hasEvents());
        assertNull(c.events(network()));
        assertEquals("unroll.plain.sequences", c.inputTopic());
    }

    @Test
    void everyEventsKeyIsRead() throws IOException {
        JobConfig c = job("""
                  topic: plant.readings
                  key: pump
                  time: at
                  fields: [pressure, flow]
                  maxOutOfOrdernessMs: 3000
                  idleTimeoutMs: 0
                  window: {kind: session, steps: 50, gapMs: 60000, minSteps: 5}
                  targets: {kind: label, fields: [failed], lastSteps: 0}
                  normalize: {pressure: {offset: 3, scale: 2}, failed: {scale: 1}}
                """);
        assertTrue(c.hasEvents());
        assertEquals("plant.readings", c.inputTopic());
        EventInput in = c.events(network());
        assertEquals(List.of("pressure", "flow"), in.fields().inputFields());
        assertEquals(List.of("failed"), in.fields().targetFields());
        assertEquals("pump", in.fields().keyField());
        assertEquals("at", in.fields().timeField());
        assertEquals(0.5, in.fields().input(0, 4), 0.0, "(4 - 3) / 2");
        assertEquals(7, in.fields().input(1, 7), 0.0, "no normalisation: as read");
        EventRule rule = in.rule();
        assertEquals(EventRule.Window.SESSION, rule.window());
        assertEquals(List.of(50, 60_000L, 5, EventRule.Targets.LABEL, 0),
                List.of(rule.steps(), rule.gapMs(), rule.minSteps(), rule.targets(), rule.lastSteps()));
        assertEquals(3000, in.maxOutOfOrdernessMs());
        assertEquals(0, in.idleTimeoutMs());
        assertArrayEquals(new int[] {3}, in.rule().outputUnits());
    }

    @Test
    void defaultsMakeACountWindowForecastingOnTheDefaultTopic() throws IOException {
        EventInput in = job("  key: device\n  fields: [a, b]\n  targets: {fields: [b]}\n").events(network());
        assertEquals("unroll.ev.events", in.topic());
        assertEquals("time", in.fields().timeField());
        assertEquals(EventRule.Window.COUNT, in.rule().window());
        assertEquals(16, in.rule().steps());
        assertEquals(EventRule.Targets.NEXT, in.rule().targets());
        assertEquals(0, in.maxOutOfOrdernessMs());
        assertEquals(30_000, in.idleTimeoutMs());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
            "  fields: [a, b]\\n| events.key: missing",
            "  key: d\\n| events.fields: missing",
            "  key: d\\n  fields: [a, a]\\n| events.fields: must be a list of field names",
            "  key: d\\n  fields: []\\n| events.fields: must be a list of field names",
            "  key: d\\n  fields: [a, b]\\n  window: {kind: tumbling}\\n| events.window.kind: must be count or session",
            "  key: d\\n  fields: [a, b]\\n  window: {kind: session}\\n| events.window.gapMs: missing",
            "  key: d\\n  fields: [a, b]\\n  window: {steps: 0}\\n| events.window.steps: must be at least 1",
            "  key: d\\n  fields: [a, b]\\n  targets: {kind: label}\\n| events.targets.fields: missing",
            "  key: d\\n  fields: [a, b]\\n  targets: {kind: guess}\\n| events.targets.kind: must be next, label or none",
            "  key: d\\n  fields: [a, b]\\n  targets: {lastSteps: 17}\\n| events.targets.lastSteps: must be at most events.window.steps",
            "  key: d\\n  fields: [a, b]\\n  normalize: {a: {scale: 0}}\\n| events.normalize: must be",
            "  key: d\\n  fields: [a, b]\\n  normalize: {c: {scale: 2}}\\n| events.normalize.c: is not among",
            "  key: d\\n  fields: [a, b]\\n  maxOutOfOrdernessMs: -1\\n| events.maxOutOfOrdernessMs: must be 0 or positive",
            "  key: d\\n  fields: [a, b]\\n  topic: \"a b\"\\n| events.topic: must be a legal Kafka topic name",
            "  key: d\\n  fields: [a, b]\\n  windows: {}\\n| events.windows: unknown key"})
    void aBadEventsValueIsRejectedNamingTheKey(String events, String expected) throws IOException {
        JobException e = assertThrows(JobException.class, () -> job(events.replace("\\n", "\n")));
        assertTrue(e.getMessage().contains(": " + expected.strip()), e.getMessage());
    }

    @Test
    void theFieldsMustFitTheNetworksInputAndOutputUnits() throws IOException {
        Network net = network();
        JobException inputs = assertThrows(JobException.class, () -> job("  key: d\n  fields: [a]\n").events(net));
        assertTrue(inputs.getMessage().contains("events.fields: names 1 fields for the network's 2 input units"),
                inputs.getMessage());
        JobException outputs = assertThrows(JobException.class,
                () -> job("  key: d\n  fields: [a, b]\n  targets: {fields: [a, b]}\n").events(net));
        assertTrue(outputs.getMessage().contains("events.targets.fields: names 2 target fields for the network's 1 output"),
                outputs.getMessage());
        // without targets the output units need no fields
        assertEquals(EventRule.Targets.NONE, job("  key: d\n  fields: [a, b]\n  targets: {kind: none}\n").events(net)
                .rule().targets());
    }
}
