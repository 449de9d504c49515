package dev.unroll.job;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One declared key of a job file: its dotted path, what it means, its default and its check.
 * {@link JobConfig#KEYS} lists them all; the table of docs/job-files.md is generated from the same
 * list ({@code java -jar target/unroll.jar keys --update-page docs/job-files.md}).
 */
public final class JobKey<T> {
    /** Reads a YAML value; returns null when the value has the wrong type, or throws with a reason. */
    interface Reader<T> extends Function<JsonNode, T> {
    }

    final String path;
    final String doc;
    final T defaultValue;
    final String typeName;
    private final Reader<T> reader;
    private final Function<T, String> check;

    JobKey(String path, String typeName, T defaultValue, Reader<T> reader, Function<T, String> check, String doc) {
        this.path = path;
        this.typeName = typeName;
        this.defaultValue = defaultValue;
        this.reader = reader;
        this.check = check;
        this.doc = doc;
    }

    public String path() {
        return path;
    }

    public String doc() {
        return doc;
    }

    public String typeName() {
        return typeName;
    }

    public Object defaultValue() {
        return defaultValue;
    }

    /** The value, or a one-line reason why it is not acceptable. */
    T read(JsonNode node, String source) {
        T value = reader.apply(node);
        if (value == null) {
            throw new JobException(source, path, "must be " + typeName + ", found " + describe(node));
        }
        String problem = check.apply(value);
        if (problem != null) {
            throw new JobException(source, path, problem + ", found " + value);
        }
        return value;
    }

    static String describe(JsonNode node) {
        if (node.isTextual()) {
            return "\"" + node.textValue() + "\"";
        }
        return node.isContainerNode() ? (node.isArray() ? "a list" : "a section") : node.asText();
    }

    static Reader<Integer> integer() {
        return n -> n.isIntegralNumber() && n.canConvertToInt() ? n.intValue() : null;
    }

    static Reader<Long> longInteger() {
        return n -> n.isIntegralNumber() && n.canConvertToLong() ? n.longValue() : null;
    }

    static Reader<Double> number() {
        return n -> n.isNumber() && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null;
    }

    static Reader<Boolean> bool() {
        return n -> n.isBoolean() ? n.booleanValue() : null;
    }

    /** A list of distinct, non-blank names. */
    static Reader<List<String>> names() {
        return n -> {
            if (!n.isArray() || n.isEmpty()) {
                return null;
            }
            List<String> names = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual() || e.textValue().isBlank() || names.contains(e.textValue())) {
                    return null;
                }
                names.add(e.textValue());
            }
            return List.copyOf(names);
        };
    }

    static Reader<String> text() {
        return n -> n.isTextual() && !n.textValue().isBlank() ? n.textValue() : null;
    }
}
