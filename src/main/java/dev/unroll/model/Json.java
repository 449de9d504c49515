package dev.unroll.model;

import com.fasterxml.jackson.core.JsonProcessingException;

/** Small JSON writing helpers shared by the model's formats. */
public final class Json {
    private Json() {
    }

    /** Appends {@code [v0,v1,...]}; Double.toString round-trips every float64 exactly. */
    static void appendNumbers(StringBuilder s, double[] values, int from, int length) {
        s.append('[');
        for (int k = 0; k < length; k++) {
            if (k > 0) {
                s.append(',');
            }
            s.append(values[from + k]);
        }
        s.append(']');
    }

    /** Compact JSON of plain values (maps, lists, strings, numbers). */
    public static String write(Object value) {
        try {
            return JsonReader.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON", e);
        }
    }

    /** The {@code gradient} command's output: {"loss": E, "weights": [[..]], "biases": [..], "initialState": [..]}. */
    public static String gradients(Gradients g) {
        int n = g.units;
        StringBuilder s = new StringBuilder(64 + n * n * 24);
        s.append("{\"loss\":").append(g.loss).append(",\"weights\":[");
        for (int j = 0; j < n; j++) {
            if (j > 0) {
                s.append(',');
            }
            appendNumbers(s, g.weights, j * n, n);
        }
        s.append("],\"biases\":");
        appendNumbers(s, g.biases, 0, n);
        s.append(",\"initialState\":");
        appendNumbers(s, g.initialState, 0, n);
        return s.append('}').toString();
    }
}
