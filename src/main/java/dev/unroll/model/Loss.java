package dev.unroll.model;

/** The error measure E summed over every target term, named as in {@code network.json}. */
public enum Loss {
    SQUARED("squared"),
    /** Only with logistic units; computed through the net input a as softplus terms, so it stays finite. */
    CROSS_ENTROPY("cross-entropy");

    private final String jsonName;

    Loss(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Loss fromJson(String name) {
        for (Loss l : values()) {
            if (l.jsonName.equals(name)) {
                return l;
            }
        }
        return null;
    }

    /** log(1 + e^x) without overflow or loss of precision. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** Cross-entropy of a logistic unit with net input a against desired value d: d softplus(-a) + (1-d) softplus(a). */
    static double crossEntropyOfNetInput(double a, double d) {
        return d * softplus(-a) + (1.0 - d) * softplus(a);
    }

    /** Cross-entropy of a state given by the data (a clamped unit), where no net input exists. */
    static double crossEntropyOfState(double h, double d) {
        double e = 0.0;
        if (d != 0.0) {
            e -= d * Math.log(h);
        }
        if (d != 1.0) {
            e -= (1.0 - d) * Math.log1p(-h);
        }
        return e;
    }
}
