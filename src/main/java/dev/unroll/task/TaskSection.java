package dev.unroll.task;

import dev.unroll.job.JobException;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reading of a job's free-form {@code task} section. Every problem is a
 * {@link JobException} naming the job file and the key as {@code task.KEY}: an unknown key, a
 * value of the wrong type, a value out of range.
 */
final class TaskSection {
    private final String source;
    private final Map<String, Object> values;

    TaskSection(String source, Map<String, Object> values) {
        this.source = source;
        this.values = values;
    }

    String source() {
        return source;
    }

    boolean has(String key) {
        return values.get(key) != null;
    }

    /** Rejects any key the task type does not declare, listing the ones it does. */
    void allowOnly(String type, Set<String> known) {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw fail(key, "unknown key for task type " + type + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    JobException fail(String key, String reason) {
        return new JobException(source, "task." + key, reason);
    }

    String text(String key, String fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw wrongType(key, "a name", v);
        }
        return s;
    }

    int integer(String key, int fallback, int min, int max) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return checkRange(key, toInt(key, v), min, max);
    }

    long longInteger(String key, long fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if ((v instanceof Integer || v instanceof Long)) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        throw wrongType(key, "a whole number", v);
    }

    double number(String key, double fallback, double min) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw wrongType(key, "a number", v);
        }
        if (n.doubleValue() < min) {
            throw fail(key, "must be at least " + min + ", found " + n);
        }
        return n.doubleValue();
    }

    boolean bool(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw wrongType(key, "true or false", v);
        }
        return b;
    }

    /** A list of whole numbers, each in [min, max]; null when absent. */
    int[] integers(String key, int min, int max) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(key, "a list of whole numbers", v);
        }
        int[] out = new int[list.size()];
        for (int k = 0; k < out.length; k++) {
            Object e = list.get(k);
            String at = key + "[" + k + "]";
            out[k] = checkRange(at, toInt(at, e), min, max);
        }
        return out;
    }

    /** A non-empty list of rows of 0/1 values, every row {@code width} long (any width when width < 0); null when absent. */
    int[][] bitRows(String key, int width) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> rows) || rows.isEmpty()) {
            throw wrongType(key, "a non-empty list of rows of 0/1 values", v);
        }
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            String at = key + "[" + r + "]";
            if (!(rows.get(r) instanceof List<?> row)) {
                throw wrongType(at, "a list of 0/1 values", rows.get(r));
            }
            int w = width < 0 ? (r == 0 ? row.size() : out[0].length) : width;
            if (row.size() != w) {
                throw fail(at, "must have " + w + " values" + (width < 0 ? " like the first row" : " (one per unit)")
                        + ", found " + row.size());
            }
            out[r] = new int[w];
            for (int k = 0; k < w; k++) {
                String cell = at + "[" + k + "]";
                out[r][k] = checkRange(cell, toInt(cell, row.get(k)), 0, 1);
            }
        }
        return out;
    }

    private int toInt(String key, Object v) {
        if (v instanceof Integer i) {
            return i;
        }
        if (v instanceof Long l && l == (int) (long) l) {
            return (int) (long) l;
        }
        throw wrongType(key, "a whole number", v);
    }

    private int checkRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            String range = max == Integer.MAX_VALUE ? "at least " + min : "in " + min + ".." + max;
            throw fail(key, "must be " + range + ", found " + value);
        }
        return value;
    }

    private JobException wrongType(String key, String expected, Object found) {
        return fail(key, "must be " + expected + ", found " + describe(found));
    }

    static String describe(Object v) {
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof List<?>) {
            return "a list";
        }
        if (v instanceof Map<?, ?>) {
            return "a section";
        }
        return String.valueOf(v);
    }
}
