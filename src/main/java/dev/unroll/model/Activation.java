package dev.unroll.model;

/** The unit non-linearity f, named as in {@code network.json}. */
public enum Activation {
    LOGISTIC("logistic") {
        @Override public double apply(double a) {
            // two branches keep exp from overflowing for large |a|
            if (a >= 0) {
                return 1.0 / (1.0 + Math.exp(-a));
            }
            double e = Math.exp(a);
            return e / (1.0 + e);
        }
        @Override public double slope(double h) { return h * (1.0 - h); }
        @Override public double middle() { return 0.5; }
    },
    TANH("tanh") {
        @Override public double apply(double a) { return Math.tanh(a); }
        @Override public double slope(double h) { return 1.0 - h * h; }
        @Override public double middle() { return 0.0; }
    },
    LINEAR("linear") {
        @Override public double apply(double a) { return a; }
        @Override public double slope(double h) { return 1.0; }
        @Override public double middle() { return 0.0; }
    };

    private final String jsonName;

    Activation(String jsonName) {
        this.jsonName = jsonName;
    }

    /** f(a). */
    public abstract double apply(double a);

    /** f'(a), written in terms of h = f(a): the backward pass keeps only the stack of activities. */
    public abstract double slope(double h);

    /** The middle of f's range: the threshold that turns a state into a binary answer. */
    public abstract double middle();

    /** The binary "off" value: 0 for logistic units, -1 for tanh and linear ones. */
    public double low() {
        return this == LOGISTIC ? 0.0 : -1.0;
    }

    /** The binary "on" value: 1. */
    public double high() {
        return 1.0;
    }

    /** Whether a target value is binary: exactly {@link #low()} or {@link #high()}. */
    public boolean isBinary(double d) {
        return d == low() || d == high();
    }

    /** Whether state h is strictly on the same side of {@link #middle()} as the binary value d. */
    public boolean isRight(double d, double h) {
        return d == high() ? h > middle() : h < middle();
    }

    public String jsonName() {
        return jsonName;
    }

    public static Activation fromJson(String name) {
        for (Activation a : values()) {
            if (a.jsonName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
