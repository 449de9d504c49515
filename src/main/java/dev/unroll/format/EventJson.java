package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.events.Event;
import dev.unroll.events.EventFields;
import dev.unroll.model.ModelException;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Reads one event record: a JSON object with a key field, an event-time field (epoch
 * milliseconds, or ISO-8601 text such as {@code 2026-12-07T10:15:00Z}) and the numeric fields the
 * job names; other fields are ignored. A missing field, a value of the wrong kind or a number that
 * is not finite fails with a {@link ModelException} naming the source, the field and the reason.
 */
public final class EventJson {
    private EventJson() {
    }

    /**
     * @param source    where the record came from, as errors name it
     * @param partition the Kafka partition it was read from (0 for a file)
     * @param offset    its offset there (for a file, the line number less one)
     */
    public static Event parse(String text, String source, EventFields fields, int partition, long offset) {
        JsonReader r = new JsonReader(source);
        JsonNode root = r.parse(text);
        r.requireObject(root, "");
        String key = key(r, r.required(root, fields.keyField(), ""), fields.keyField());
        long time = time(r, r.required(root, fields.timeField(), ""), fields.timeField());
        double[] inputs = numbers(r, root, fields.inputFields());
        for (int k = 0; k < inputs.length; k++) {
            inputs[k] = fields.input(k, inputs[k]);
        }
        double[] targets = numbers(r, root, fields.targetFields());
        for (int k = 0; k < targets.length; k++) {
            targets[k] = fields.target(k, targets[k]);
        }
        return new Event(key, time, partition, offset, inputs, targets);
    }

    private static String key(JsonReader r, JsonNode node, String field) {
        if (!node.isTextual() && !node.isIntegralNumber()) {
            throw r.fail(field, "must be a string or a whole number naming the key, found " + JsonReader.kind(node));
        }
        return checkedKey(node.isTextual() ? node.textValue() : node.asText(), r.source(), field);
    }

    /** {@code key}, when it may name a key. */
    static String checkedKey(String key, String source, String field) {
        String problem = SequenceJson.keyProblem(key);
        if (problem != null) {
            throw new ModelException(source, field, problem);
        }
        return key;
    }

    private static long time(JsonReader r, JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            return isoMillis(node.textValue(), r.source(), field);
        }
        throw r.fail(field, "must be epoch milliseconds or ISO-8601 text, found " + JsonReader.kind(node));
    }

    /** An ISO-8601 time with an offset as epoch milliseconds. */
    static long isoMillis(String text, String source, String field) {
        Long millis = isoMillisOrNull(text);
        if (millis == null) {
            throw new ModelException(source, field, "must be an ISO-8601 time with an offset, such as"
                    + " 2026-12-07T10:15:00Z, found \"" + JsonReader.oneLine(text) + "\"");
        }
        return millis;
    }

    static Long isoMillisOrNull(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            return null;
        }
    }

    private static double[] numbers(JsonReader r, JsonNode root, List<String> names) {
        double[] values = new double[names.size()];
        for (int k = 0; k < values.length; k++) {
            values[k] = r.number(r.required(root, names.get(k), ""), names.get(k));
        }
        return values;
    }
}
