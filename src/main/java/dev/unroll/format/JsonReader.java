package dev.unroll.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Iterator;
import java.util.Set;
import dev.unroll.model.ModelException;

/**
 * Typed access to a parsed JSON document that fails with a {@link ModelException} naming the
 * source, the field path (for example {@code targets[2].t}) and the reason.
 */
final class JsonReader {
    /**
     * Accepts NaN and Infinity tokens so that they are reported as non-finite, not as syntax
     * errors. The fast number parser is exact (correctly rounded), only faster than the JDK's.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final String source;

    JsonReader(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    JsonNode parse(String text) {
        if (text == null || text.isBlank()) {
            throw fail("", "empty document");
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            throw fail("", "not valid JSON (" + oneLine(m) + ", line " + e.getLocation().getLineNr()
                    + " column " + e.getLocation().getColumnNr() + ")");
        }
    }

    ModelException fail(String field, String reason) {
        return new ModelException(source, field, reason);
    }

    void requireObject(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            throw fail(field, "must be a JSON object, found " + kind(node));
        }
    }

    void rejectUnknown(JsonNode node, String prefix, Set<String> known) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw fail(join(prefix, name), "unknown field (expected one of " + String.join(", ", known) + ")");
            }
        }
    }

    JsonNode required(JsonNode object, String name, String prefix) {
        JsonNode v = object.get(name);
        if (v == null || v.isNull()) {
            throw fail(join(prefix, name), "missing");
        }
        return v;
    }

    /** Null when absent or JSON null. */
    static JsonNode optional(JsonNode object, String name) {
        JsonNode v = object.get(name);
        return v == null || v.isNull() ? null : v;
    }

    JsonNode array(JsonNode node, String field) {
        if (!node.isArray()) {
            throw fail(field, "must be a list, found " + kind(node));
        }
        return node;
    }

    JsonNode array(JsonNode node, String field, int length) {
        array(node, field);
        if (node.size() != length) {
            throw fail(field, "must have " + length + " entries, found " + node.size());
        }
        return node;
    }

    double number(JsonNode node, String field) {
        if (node == null || !node.isNumber()) {
            throw fail(field, "must be a number, found " + kind(node));
        }
        double v = node.doubleValue();
        if (!Double.isFinite(v)) {
            throw fail(field, "must be finite, found " + node.asText());
        }
        return v;
    }

    int integer(JsonNode node, String field) {
        if (node == null || !node.isNumber()) {
            throw fail(field, "must be a whole number, found " + kind(node));
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToInt()) {
                throw fail(field, "is out of range: " + node.asText());
            }
            return node.intValue();
        }
        double v = node.doubleValue();
        if (!Double.isFinite(v) || v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw fail(field, "must be a whole number, found " + node.asText());
        }
        return (int) v;
    }

    int index(JsonNode node, String field, int bound) {
        int v = integer(node, field);
        if (v < 0 || v >= bound) {
            throw fail(field, "unit index " + v + " is out of range 0.." + (bound - 1));
        }
        return v;
    }

    String text(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw fail(field, "must be a string, found " + kind(node));
        }
        return node.textValue();
    }

    double[] numbers(JsonNode node, String field, int length) {
        array(node, field, length);
        double[] out = new double[length];
        for (int k = 0; k < length; k++) {
            out[k] = number(node.get(k), field + "[" + k + "]");
        }
        return out;
    }

    /** Distinct unit indices below {@code bound}. */
    int[] units(JsonNode node, String field, int bound) {
        array(node, field);
        int[] out = new int[node.size()];
        boolean[] seen = new boolean[bound];
        for (int k = 0; k < out.length; k++) {
            String f = field + "[" + k + "]";
            out[k] = index(node.get(k), f, bound);
            if (seen[out[k]]) {
                throw fail(f, "unit " + out[k] + " is listed twice");
            }
            seen[out[k]] = true;
        }
        return out;
    }

    static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        return node.getNodeType().toString().toLowerCase();
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        String flat = s.replaceAll("\\s+", " ").trim();
        return flat.length() > 160 ? flat.substring(0, 160) + "..." : flat;
    }
}
