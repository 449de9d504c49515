package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.events.Event;
import dev.unroll.events.EventFields;
import dev.unroll.events.EventInput;
import dev.unroll.model.ModelException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Event records in Avro's single-object encoding (0xC3 0x01, the schema's CRC-64-AVRO
 * fingerprint, the record), written with the job's own record schema, {@code events.schema}. The
 * fields the job reads must be in it with a type it can read: the key a string, int or long; the
 * time a long of epoch milliseconds or ISO-8601 text; the numbers double, float, int or long. Any
 * of them may be a union with null, and null counts as missing. Other fields are ignored, as in
 * JSON events, and a record fails as {@link EventJson}'s do, with the same reasons.
 */
public final class EventAvro implements Serializable {
    private static final Set<Schema.Type> KEY = EnumSet.of(Schema.Type.STRING, Schema.Type.INT, Schema.Type.LONG);
    private static final Set<Schema.Type> TIME = EnumSet.of(Schema.Type.LONG, Schema.Type.STRING);
    private static final Set<Schema.Type> NUMBER = EnumSet.of(Schema.Type.DOUBLE, Schema.Type.FLOAT, Schema.Type.INT,
            Schema.Type.LONG);

    private final String schemaText;
    private final EventFields fields;
    private transient Schema schema;
    private transient BinaryMessageDecoder<GenericRecord> decoder;
    private transient BinaryMessageEncoder<GenericRecord> encoder;

    private EventAvro(String schemaText, EventFields fields) {
        this.schemaText = schemaText;
        this.fields = fields;
    }

    /** The reader of an events input's Avro records; null when its events are JSON. */
    public static EventAvro of(EventInput input) {
        return input.avroSchema() == null ? null : new EventAvro(input.avroSchema(), input.fields());
    }

    /** How a line of an events file becomes a record of the job's events topic: in the job's events format. */
    public static Function<String, byte[]> records(EventInput input) {
        EventAvro avro = of(input);
        return avro != null ? avro::recordOf : line -> line.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Checks that {@code schemaText} is a record schema holding the fields the job reads, with types it reads.
     *
     * @throws ModelException naming {@code source} (the schema file), the field and the reason
     */
    public static void check(String schemaText, String source, EventFields fields) {
        Schema schema;
        try {
            schema = new Schema.Parser().parse(schemaText);
        } catch (AvroRuntimeException e) {
            throw new ModelException(source, "", "not an Avro schema: " + JsonReader.oneLine(e.getMessage()));
        }
        if (schema.getType() != Schema.Type.RECORD) {
            throw new ModelException(source, "", "must be an Avro record schema, found " + schema.getType());
        }
        checkField(schema, source, fields.keyField(), KEY, "a string, int or long");
        checkField(schema, source, fields.timeField(), TIME, "a long of epoch milliseconds or an ISO-8601 string");
        for (List<String> names : List.of(fields.inputFields(), fields.targetFields())) {
            for (String name : names) {
                checkField(schema, source, name, NUMBER, "a double, float, int or long");
            }
        }
    }

    private static void checkField(Schema schema, String source, String name, Set<Schema.Type> types, String kinds) {
        Schema.Field field = schema.getField(name);
        if (field == null) {
            throw new ModelException(source, name, "missing: the job reads this field");
        }
        Schema type = nonNull(field.schema());
        if (type == null || !types.contains(type.getType())) {
            throw new ModelException(source, name, "must be " + kinds + " (or a union of one with null), found "
                    + field.schema());
        }
    }

    /** The one non-null branch of a union with null, the schema itself when it is no union, else null. */
    private static Schema nonNull(Schema s) {
        if (s.getType() != Schema.Type.UNION) {
            return s;
        }
        List<Schema> branches = s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
        return branches.size() == 1 ? branches.get(0) : null;
    }

    private Schema schema() {
        if (schema == null) {
            schema = new Schema.Parser().parse(schemaText);
        }
        return schema;
    }

    /**
     * Reads one record.
     *
     * @param source    where the record came from, as errors name it
     * @param partition the Kafka partition it was read from
     * @param offset    its offset there
     * @throws ModelException naming {@code source}, the field and the reason
     */
    public Event parse(byte[] value, String source, int partition, long offset) {
        if (decoder == null) {
            decoder = new BinaryMessageDecoder<>(GenericData.get(), schema());
        }
        GenericRecord record;
        try {
            record = decoder.decode(value);
        } catch (MissingSchemaException e) {
            throw new ModelException(source, "", String.format("written with the Avro schema of fingerprint %016x, not"
                    + " the job's events.schema (%016x)", ByteBuffer.wrap(value, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong(), SchemaNormalization.parsingFingerprint64(schema())));
        } catch (BadHeaderException e) {
            throw new ModelException(source, "", "not a single-object Avro record (0xC3 0x01 and an 8-byte schema"
                    + " fingerprint)");
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new ModelException(source, "", "not a record of the job's events.schema: "
                    + JsonReader.oneLine(String.valueOf(e.getMessage())));
        }
        String key = EventJson.checkedKey(text(record, fields.keyField(), source), source, fields.keyField());
        Object t = required(record, fields.timeField(), source);
        long time = t instanceof Long millis ? millis : EventJson.isoMillis(t.toString(), source, fields.timeField());
        double[] inputs = numbers(record, fields.inputFields(), source);
        for (int k = 0; k < inputs.length; k++) {
            inputs[k] = fields.input(k, inputs[k]);
        }
        double[] targets = numbers(record, fields.targetFields(), source);
        for (int k = 0; k < targets.length; k++) {
            targets[k] = fields.target(k, targets[k]);
        }
        return new Event(key, time, partition, offset, inputs, targets);
    }

    private static Object required(GenericRecord record, String field, String source) {
        Object v = record.get(field);
        if (v == null) {
            throw new ModelException(source, field, "missing");
        }
        return v;
    }

    private static String text(GenericRecord record, String field, String source) {
        return required(record, field, source).toString();
    }

    private static double[] numbers(GenericRecord record, List<String> names, String source) {
        double[] values = new double[names.size()];
        for (int k = 0; k < values.length; k++) {
            double v = ((Number) required(record, names.get(k), source)).doubleValue();
            if (!Double.isFinite(v)) {
                throw new ModelException(source, names.get(k), "must be a finite number, found " + v);
            }
            values[k] = v;
        }
        return values;
    }

    /**
     * The record value of one event given as a JSON object (a line of an events file): in Avro when
     * every field of the schema can be taken from it (a missing or null one only where the schema
     * allows null or gives a default), and otherwise the line itself, so that the job reads it as
     * JSON and dead-letters it with the reason {@link EventJson} gives. Fields of other types than
     * null, boolean, int, long, float, double and string are not written from JSON.
     */
    public byte[] recordOf(String line) {
        GenericRecord record = fromJson(line);
        if (record == null) {
            return line.getBytes(StandardCharsets.UTF_8);
        }
        if (encoder == null) {
            encoder = new BinaryMessageEncoder<>(GenericData.get(), schema());
        }
        try {
            ByteBuffer bytes = encoder.encode(record);
            byte[] out = new byte[bytes.remaining()];
            bytes.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
    }

    private GenericRecord fromJson(String line) {
        JsonNode root;
        try {
            root = JsonReader.MAPPER.readTree(line);
        } catch (IOException e) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        GenericRecord record = new GenericData.Record(schema());
        for (Schema.Field f : schema().getFields()) {
            JsonNode v = root.get(f.name());
            if (v == null || v.isNull()) {
                if (f.schema().isNullable()) {
                    record.put(f.pos(), null);
                } else if (f.hasDefaultValue()) {
                    record.put(f.pos(), GenericData.get().getDefaultValue(f));
                } else {
                    return null;
                }
                continue;
            }
            Schema type = nonNull(f.schema());
            Object value = type == null ? null : value(type.getType(), v);
            if (value == null) {
                return null;
            }
            record.put(f.pos(), value);
        }
        return record;
    }

    /** A JSON value as Avro's generic representation of {@code type}, or null when it is not one. */
    private static Object value(Schema.Type type, JsonNode v) {
        return switch (type) {
            case STRING -> v.isTextual() ? v.textValue() : v.isIntegralNumber() ? v.asText() : null;
            case BOOLEAN -> v.isBoolean() ? v.booleanValue() : null;
            case INT -> v.isIntegralNumber() && v.canConvertToInt() ? v.intValue() : null;
            // an event time as ISO-8601 text becomes its epoch milliseconds
            case LONG -> v.isIntegralNumber() && v.canConvertToLong() ? v.longValue()
                    : v.isTextual() ? EventJson.isoMillisOrNull(v.textValue()) : null;
            case FLOAT -> v.isNumber() ? v.floatValue() : null;
            case DOUBLE -> v.isNumber() ? v.doubleValue() : null;
            default -> null;
        };
    }
}
