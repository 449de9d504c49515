package dev.unroll.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.Limits;

/**
 * The fast path of {@link SequenceJson}: reads a well-formed sequence token by token, without
 * the tree, the field paths and the checks' messages that the tree parser builds for every
 * number (decoding was most of the stream's per-record cost). It vouches only for what it
 * accepts outright: at anything else (a syntax error, a duplicate or unknown field, a null, NaN,
 * a whole number written as 2.0, a value out of range, a wrong count) it returns null, and
 * {@link SequenceJson} runs the tree parser, which either accepts the text or names the problem.
 * What it returns equals what the tree parser returns for the same text.
 */
final class SequenceStream {
    private static final List<String> FIELDS = List.of("id", "key", "steps", "initial", "inputs", "targets");
    private static final List<String> TARGET_FIELDS = List.of("t", "units", "values");
    private static final List<String> INITIAL_FIELDS = List.of("units", "values");

    private SequenceStream() {
    }

    /** {@code seen} with {@code name}'s bit added, or -1 when the name is unknown or was seen before. */
    private static int once(List<String> known, String name, int seen) {
        int k = known.indexOf(name);
        return k < 0 || (seen & 1 << k) != 0 ? -1 : seen | 1 << k;
    }

    /** The sequence, or null when the tree parser must decide. */
    static Sequence tryParse(String text, Network net, Limits limits, boolean targetsRequired) {
        try (JsonParser p = JsonReader.MAPPER.createParser(text)) {
            // duplicates are caught by once() below, for less than the parser's own detector costs
            p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            return read(p, net, limits, targetsRequired);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Sequence read(JsonParser p, Network net, Limits limits, boolean targetsRequired) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        int n = net.units();
        int width = net.inputCount();
        String id = null;
        String key = null;
        int steps = -1;
        double[] inputs = null;
        int rows = 0;
        int[] initialUnits = null;
        double[] initialValues = null;
        List<Sequence.Target> targets = null;
        int seen = 0;
        JsonToken field;
        while ((field = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if ((seen = once(FIELDS, name, seen)) < 0) {
                return null;
            }
            JsonToken value = p.nextToken();
            switch (name) {
                case "id" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    id = p.getText();
                }
                case "key" -> {
                    if (value != JsonToken.VALUE_STRING || SequenceJson.keyProblem(key = p.getText()) != null) {
                        return null;
                    }
                }
                case "steps" -> {
                    steps = whole(p, value);
                    if (steps < 1 || steps > limits.maxSteps()) {
                        return null;
                    }
                }
                case "inputs" -> {
                    if (value != JsonToken.START_ARRAY) {
                        return null;
                    }
                    inputs = new double[Math.max(width, 1) * 16];
                    rows = 0;
                    while (p.nextToken() == JsonToken.START_ARRAY) {
                        if ((long) (rows + 1) * width > inputs.length) {
                            inputs = Arrays.copyOf(inputs, Math.max(inputs.length * 2, (rows + 1) * width));
                        }
                        if (!numbers(p, inputs, rows * width, width)) {
                            return null;
                        }
                        rows++;
                    }
                    if (p.currentToken() != JsonToken.END_ARRAY) {
                        return null;
                    }
                }
                case "initial" -> {
                    if (value != JsonToken.START_OBJECT) {
                        return null;
                    }
                    int[][] units = new int[1][];
                    double[][] values = new double[1][];
                    if (!unitsAndValues(p, n, units, values, true) || units[0] == null || values[0] == null
                            || units[0].length != values[0].length) {
                        return null;
                    }
                    initialUnits = units[0];
                    initialValues = values[0];
                }
                case "targets" -> {
                    if (value != JsonToken.START_ARRAY) {
                        return null;
                    }
                    targets = new ArrayList<>();
                    JsonToken entry;
                    while ((entry = p.nextToken()) == JsonToken.START_OBJECT) {
                        Sequence.Target target = target(p, n);
                        if (target == null) {
                            return null;
                        }
                        targets.add(target);
                    }
                    if (entry != JsonToken.END_ARRAY) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (field != JsonToken.END_OBJECT || p.nextToken() != null || steps < 1) {
            return null;
        }
        if (inputs != null && rows != steps) {
            return null;
        }
        if (targets == null) {
            if (targetsRequired) {
                return null;
            }
            targets = List.of();
        }
        for (Sequence.Target target : targets) {
            if (target.t() > steps) {
                return null;
            }
        }
        return new Sequence(id, key, steps, initialUnits, initialValues,
                inputs == null ? null : Arrays.copyOf(inputs, steps * width), width, targets);
    }

    /** One target object, its START_OBJECT read; null unless t, units and values are all there and valid. */
    private static Sequence.Target target(JsonParser p, int n) throws IOException {
        int t = -1;
        int[][] units = new int[1][];
        double[][] values = new double[1][];
        int seen = 0;
        JsonToken field;
        while ((field = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if ((seen = once(TARGET_FIELDS, name, seen)) < 0) {
                return null;
            }
            JsonToken value = p.nextToken();
            switch (name) {
                case "t" -> {
                    t = whole(p, value);
                    if (t < 1) {
                        return null;
                    }
                }
                case "units" -> {
                    if (value != JsonToken.START_ARRAY || (units[0] = indices(p, n, false)) == null) {
                        return null;
                    }
                }
                case "values" -> {
                    if (value != JsonToken.START_ARRAY || (values[0] = numberList(p)) == null) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (field != JsonToken.END_OBJECT || t < 1 || units[0] == null || values[0] == null
                || units[0].length != values[0].length) {
            return null;
        }
        return new Sequence.Target(t, units[0], values[0]);
    }

    /** The fields units and values of an object (initial), its START_OBJECT read. */
    private static boolean unitsAndValues(JsonParser p, int n, int[][] units, double[][] values, boolean distinct)
            throws IOException {
        int seen = 0;
        JsonToken field;
        while ((field = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if ((seen = once(INITIAL_FIELDS, name, seen)) < 0) {
                return false;
            }
            JsonToken value = p.nextToken();
            if (value != JsonToken.START_ARRAY) {
                return false;
            }
            if (name.equals("units")) {
                units[0] = indices(p, n, distinct);
                if (units[0] == null) {
                    return false;
                }
            } else if (name.equals("values")) {
                values[0] = numberList(p);
                if (values[0] == null) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return field == JsonToken.END_OBJECT;
    }

    /** Unit indices in 0..n-1 up to the array's end (START_ARRAY read), or null. */
    private static int[] indices(JsonParser p, int n, boolean distinct) throws IOException {
        int[] out = new int[4];
        int count = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            int u = whole(p, token);
            if (u < 0 || u >= n) {
                return null;
            }
            if (count == out.length) {
                out = Arrays.copyOf(out, count * 2);
            }
            out[count++] = u;
        }
        out = Arrays.copyOf(out, count);
        if (distinct) {
            boolean[] seen = new boolean[n];
            for (int u : out) {
                if (seen[u]) {
                    return null;
                }
                seen[u] = true;
            }
        }
        return out;
    }

    /** Finite numbers up to the array's end (START_ARRAY read), or null. */
    private static double[] numberList(JsonParser p) throws IOException {
        double[] out = new double[4];
        int count = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (count == out.length) {
                out = Arrays.copyOf(out, count * 2);
            }
            if (!number(p, token, out, count++)) {
                return null;
            }
        }
        return Arrays.copyOf(out, count);
    }

    /** Exactly {@code count} finite numbers and the array's end (START_ARRAY read) into {@code out} from {@code at}. */
    private static boolean numbers(JsonParser p, double[] out, int at, int count) throws IOException {
        for (int k = 0; k < count; k++) {
            if (!number(p, p.nextToken(), out, at + k)) {
                return false;
            }
        }
        return p.nextToken() == JsonToken.END_ARRAY;
    }

    /** The current token as a finite double, as the tree parser reads it: ints and longs exactly, decimals correctly rounded. */
    private static boolean number(JsonParser p, JsonToken token, double[] out, int at) throws IOException {
        double v;
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            v = p.getDoubleValue();
        } else if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            v = p.getLongValue();
        } else {
            return false;
        }
        if (!Double.isFinite(v)) {
            return false;
        }
        out[at] = v;
        return true;
    }

    /** The current token as a non-negative int, or -1 when it is anything else (the tree parser decides those). */
    private static int whole(JsonParser p, JsonToken token) throws IOException {
        if (token != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            return -1;
        }
        return Math.max(p.getIntValue(), -1);
    }
}
