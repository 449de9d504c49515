package dev.unroll.format;

import dev.unroll.events.Event;
import dev.unroll.events.EventFields;
import dev.unroll.events.EventInput;
import dev.unroll.job.JobConfig;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Avro event records: read as their JSON is, written from JSON lines, and every bad record a reason. */
class EventAvroTest {
    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
            + "{\"name\":\"device\",\"type\":\"string\"},{\"name\":\"ts\",\"type\":\"long\"},"
            + "{\"name\":\"temp\",\"type\":[\"null\",\"double\"],\"default\":null},"
            + "{\"name\":\"unit\",\"type\":\"string\",\"default\":\"C\"}]}";
    private static final EventFields FIELDS = new EventFields("device", "ts", List.of("temp"), List.of("temp"),
            new double[]{20}, new double[]{10}, new double[]{20}, new double[]{10});
    private static final EventAvro AVRO = EventAvro.of(input(SCHEMA));

    private static EventInput input(String schema) {
        return new EventInput("events", FIELDS, null, 0, 0, schema);
    }

    @Test
    void aRecordReadsAsItsJsonLineDoes() {
        String line = "{\"device\":\"dev-3\",\"ts\":1765000001000,\"temp\":23.5,\"other\":[1,2]}";
        byte[] record = AVRO.recordOf(line);
        assertTrue(SequenceAvro.isSingleObject(record), "single-object encoding");
        Event avro = AVRO.parse(record, "t", 2, 7);
        Event json = EventJson.parse(line, "t", FIELDS, 2, 7);
        assertEquals(json.key, avro.key);
        assertEquals(json.time, avro.time);
        assertArrayEquals(json.inputs, avro.inputs);
        assertArrayEquals(json.targets, avro.targets);
        assertEquals(0.35, avro.inputs[0], 1e-15);
    }

    @Test
    void isoTimeTextBecomesEpochMillisInALongField() {
        Event e = AVRO.parse(AVRO.recordOf("{\"device\":\"a\",\"ts\":\"2026-01-01T00:00:01Z\",\"temp\":20}"), "t", 0, 0);
        assertEquals(1_767_225_601_000L, e.time);
    }

    @Test
    void aLineTheSchemaCannotHoldStaysJsonSoTheJobGivesJsonsReason() {
        String line = "{\"device\":\"a\",\"ts\":1000,\"temp\":\"warm\"}";
        assertArrayEquals(line.getBytes(StandardCharsets.UTF_8), AVRO.recordOf(line));
        assertArrayEquals("not json".getBytes(StandardCharsets.UTF_8), AVRO.recordOf("not json"));
    }

    @Test
    void badRecordsFailWithTheirReason() throws Exception {
        assertEquals("t: temp: missing", message(AVRO.recordOf("{\"device\":\"a\",\"ts\":1000}")));
        assertEquals("t: device: must not be empty", message(AVRO.recordOf("{\"device\":\"\",\"ts\":1000,\"temp\":1}")));

        Schema schema = new Schema.Parser().parse(SCHEMA);
        GenericRecord nan = new GenericData.Record(schema);
        nan.put("device", "a");
        nan.put("ts", 1000L);
        nan.put("temp", Double.NaN);
        nan.put("unit", "C");
        assertEquals("t: temp: must be a finite number, found NaN", message(bytes(schema, nan)));

        Schema other = new Schema.Parser().parse(SCHEMA.replace("Reading", "Other"));
        GenericRecord foreign = new GenericData.Record(other);
        foreign.put("device", "a");
        foreign.put("ts", 1000L);
        foreign.put("temp", 1.0);
        foreign.put("unit", "C");
        assertTrue(message(bytes(other, foreign)).startsWith("t: written with the Avro schema of fingerprint "),
                message(bytes(other, foreign)));

        byte[] good = AVRO.recordOf("{\"device\":\"a\",\"ts\":1000,\"temp\":1}");
        assertTrue(message(Arrays.copyOf(good, good.length - 3)).startsWith("t: not a record of the job's events.schema"));
        assertTrue(message(new byte[]{(byte) 0xC3, 1, 2}).startsWith("t: not "), message(new byte[]{(byte) 0xC3, 1, 2}));
    }

    private static byte[] bytes(Schema schema, GenericRecord record) throws Exception {
        ByteBuffer b = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static String message(byte[] record) {
        return assertThrows(ModelException.class, () -> AVRO.parse(record, "t", 0, 0)).getMessage();
    }

    @Test
    void theSchemaMustHoldTheFieldsTheJobReads() {
        assertEquals("s.avsc: temp: missing: the job reads this field", check(SCHEMA.replace("\"temp\"", "\"heat\"")));
        String text = SCHEMA.replace("[\"null\",\"double\"],\"default\":null", "\"string\"");
        assertTrue(check(text).startsWith("s.avsc: temp: must be a double, float, int or long (or a union of one with"
                + " null), found \"string\""), check(text));
        assertTrue(check("{\"type\":\"string\"}").contains("must be an Avro record schema"));
        assertTrue(check("{not a schema").startsWith("s.avsc: not an Avro schema: "), check("{not a schema"));
    }

    private static String check(String schema) {
        return assertThrows(ModelException.class, () -> EventAvro.check(schema, "s.avsc", FIELDS)).getMessage();
    }

    @Test
    void theShippedSensorsSchemaCarriesTheGeneratedReadings() throws Exception {
        Path dir = Files.createTempDirectory("sensors-avro");
        Files.copy(Path.of("jobs/sensors.network.json"), dir.resolve("sensors.network.json"));
        Files.copy(Path.of("jobs/sensors.avsc"), dir.resolve("sensors.avsc"));
        Files.writeString(dir.resolve("job.yaml"), Files.readString(Path.of("jobs/sensors.yaml"))
                .replace("events:\n", "events:\n  format: avro\n  schema: sensors.avsc\n"));
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        Network net = config.loadNetwork();
        EventInput in = config.events(net);
        String line = "{\"device\":\"sensor-007\",\"time\":\"2026-01-01T00:35:35Z\",\"temperature\":21.347}";
        Event avro = EventAvro.of(in).parse(EventAvro.records(in).apply(line), "t", 0, 0);
        Event json = EventJson.parse(line, "t", in.fields(), 0, 0);
        assertEquals(json.time, avro.time);
        assertArrayEquals(json.inputs, avro.inputs);
    }
}
