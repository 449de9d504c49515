package dev.unroll.format;

import dev.unroll.model.Prediction;

/** A {@link Prediction} as the JSON of one line of {@code predict}'s output. */
public final class PredictionJson {
    private PredictionJson() {
    }

    /** The prediction JSON of one line of {@code predict}'s output. */
    public static String write(Prediction p) {
        StringBuilder s = new StringBuilder(32 + p.outputs().length * 20);
        s.append('{');
        appendFields(p, s);
        return s.append('}').toString();
    }

    /**
     * Appends {@code "id": ..., "outputs": [[..], ..], "loss": ...} (id and loss only when there
     * are), without braces, so a caller can add fields of its own. Numbers are the shortest
     * decimals that read back exactly; a non-finite one, which JSON cannot hold, is null.
     */
    public static void appendFields(Prediction p, StringBuilder s) {
        if (p.id() != null) {
            s.append("\"id\":").append(Json.write(p.id())).append(',');
        }
        s.append("\"outputs\":[");
        int steps = p.steps();
        for (int t = 0; t < steps; t++) {
            s.append(t > 0 ? ",[" : "[");
            for (int k = 0; k < p.columns(); k++) {
                if (k > 0) {
                    s.append(',');
                }
                appendNumber(s, p.output(t + 1, k));
            }
            s.append(']');
        }
        s.append(']');
        if (p.hasLoss()) {
            s.append(",\"loss\":");
            appendNumber(s, p.loss());
        }
    }

    private static void appendNumber(StringBuilder s, double v) {
        s.append(Double.isFinite(v) ? Json.number(v) : "null");
    }
}
