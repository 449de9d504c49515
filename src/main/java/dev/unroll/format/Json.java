package dev.unroll.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.NumberOutput;
import dev.unroll.model.Gradients;

/** Small JSON writing helpers shared by the model's formats. */
public final class Json {
    private Json() {
    }

    /** Appends {@code [v0,v1,...]}. */
    static void appendNumbers(StringBuilder s, double[] values, int from, int length) {
        s.append('[');
        for (int k = 0; k < length; k++) {
            if (k > 0) {
                s.append(',');
            }
            s.append(number(values[from + k]));
        }
        s.append(']');
    }

    /**
     * The shortest decimal that reads back as exactly {@code v} (Schubfach, as Java 19's
     * Double.toString; Java 17's is several times slower, and parameter records carry N^2 numbers).
     */
    public static String number(double v) {
        return NumberOutput.toString(v, true);
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
        s.append("{\"loss\":").append(number(g.loss)).append(",\"weights\":[");
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
