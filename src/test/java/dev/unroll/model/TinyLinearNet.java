package dev.unroll.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A hand-checkable training example: two linear units, squared error, sequences of one or two
 * steps, three sequences in batches of two (so the second batch holds one sequence and is
 * averaged over one). Its gradients are the closed-form derivatives of
 * <pre>
 *   h1 = W h0 + b,  h2 = W h1 + b,  E = sum 0.5 (h_t[u] - d)^2
 *   delta2 = e2,  delta1 = e1 + W^T delta2
 *   dE/dW = delta2 h1^T + delta1 h0^T,  dE/db = delta2 + delta1,  dE/dh0 = W^T delta1
 * </pre>
 * written out with 2x2 arrays, sharing nothing with {@link Bptt}.
 */
public final class TinyLinearNet {
    public static final int BATCH_SIZE = 2;
    public static final double LEARNING_RATE = 0.25;

    /** Initial parameters. */
    public static final double[][] W0 = {{0.5, -0.3}, {0.2, 0.4}};
    public static final double[] B0 = {0.1, -0.2};
    public static final double[] S0 = {0.3, -0.6};

    /** A desired value d of unit u at time t. */
    public record Term(int t, int u, double d) {
    }

    /** A sequence of 1 or 2 steps; given[u] is the data's initial state of u, or NaN for the learned one. */
    public record Seq(int steps, double[] given, List<Term> terms) {
        /** The sequence in the docs/model.md format (one line). */
        public String json() {
            StringBuilder s = new StringBuilder("{\"steps\":" + steps);
            List<Integer> units = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (int u = 0; u < 2; u++) {
                if (!Double.isNaN(given[u])) {
                    units.add(u);
                    values.add(given[u]);
                }
            }
            if (!units.isEmpty()) {
                s.append(",\"initial\":{\"units\":").append(units).append(",\"values\":").append(values).append('}');
            }
            s.append(",\"targets\":[");
            for (int k = 0; k < terms.size(); k++) {
                Term term = terms.get(k);
                s.append(k > 0 ? "," : "").append("{\"t\":").append(term.t()).append(",\"units\":[").append(term.u())
                        .append("],\"values\":[").append(term.d()).append("]}");
            }
            return s.append("]}").toString();
        }
    }

    public static final List<Seq> SEQUENCES = List.of(
            new Seq(2, new double[] {Double.NaN, Double.NaN}, List.of(new Term(2, 0, 1.0), new Term(2, 1, -0.5))),
            new Seq(2, new double[] {Double.NaN, 0.8}, List.of(new Term(1, 0, 0.3), new Term(2, 1, 0.2))),
            new Seq(1, new double[] {Double.NaN, Double.NaN}, List.of(new Term(1, 1, 0.5), new Term(1, 0, 0.1))));

    /** The parameters W, b, s as one mutable bundle. */
    public static final class Params {
        public final double[][] w = new double[2][2];
        public final double[] b = new double[2];
        public final double[] s = new double[2];

        public static Params initial() {
            Params p = new Params();
            for (int j = 0; j < 2; j++) {
                p.w[j] = W0[j].clone();
            }
            System.arraycopy(B0, 0, p.b, 0, 2);
            System.arraycopy(S0, 0, p.s, 0, 2);
            return p;
        }
    }

    private TinyLinearNet() {
    }

    /** The network file of the example. */
    public static String networkJson() {
        return "{\"units\":2,\"activation\":\"linear\",\"loss\":\"squared\",\"weights\":[[" + W0[0][0] + "," + W0[0][1]
                + "],[" + W0[1][0] + "," + W0[1][1] + "]],\"biases\":[" + B0[0] + "," + B0[1] + "],\"initialState\":["
                + S0[0] + "," + S0[1] + "]}";
    }

    /** dE/dW, dE/db, dE/ds of one sequence at p, as a Params bundle of derivatives. */
    static Params gradient(Params p, Seq seq) {
        double[][] w = p.w;
        double[] h0 = new double[2];
        for (int u = 0; u < 2; u++) {
            h0[u] = Double.isNaN(seq.given()[u]) ? p.s[u] : seq.given()[u];
        }
        double[] h1 = {w[0][0] * h0[0] + w[0][1] * h0[1] + p.b[0], w[1][0] * h0[0] + w[1][1] * h0[1] + p.b[1]};
        double[] h2 = {w[0][0] * h1[0] + w[0][1] * h1[1] + p.b[0], w[1][0] * h1[0] + w[1][1] * h1[1] + p.b[1]};
        double[] e1 = new double[2];
        double[] e2 = new double[2];
        for (Term term : seq.terms()) {
            if (term.t() == 1) {
                e1[term.u()] += h1[term.u()] - term.d();
            } else {
                e2[term.u()] += h2[term.u()] - term.d();
            }
        }
        double[] delta2 = seq.steps() == 2 ? e2 : new double[2];
        double[] delta1 = {e1[0] + w[0][0] * delta2[0] + w[1][0] * delta2[1],
                e1[1] + w[0][1] * delta2[0] + w[1][1] * delta2[1]};
        Params g = new Params();
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 2; i++) {
                g.w[j][i] = delta2[j] * h1[i] + delta1[j] * h0[i];
            }
            g.b[j] = delta2[j] + delta1[j];
        }
        for (int i = 0; i < 2; i++) {
            g.s[i] = Double.isNaN(seq.given()[i]) ? w[0][i] * delta1[0] + w[1][i] * delta1[1] : 0.0;
        }
        return g;
    }

    /** p - lr * (sum of the batch's gradients) / divisor. */
    static Params step(Params p, List<Seq> batch, double divisor, boolean learnInitialState) {
        Params sum = new Params();
        for (Seq seq : batch) {
            Params g = gradient(p, seq);
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < 2; i++) {
                    sum.w[j][i] += g.w[j][i];
                }
                sum.b[j] += g.b[j];
                sum.s[j] += g.s[j];
            }
        }
        Params next = new Params();
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 2; i++) {
                next.w[j][i] = p.w[j][i] - LEARNING_RATE * sum.w[j][i] / divisor;
            }
            next.b[j] = p.b[j] - LEARNING_RATE * sum.b[j] / divisor;
            next.s[j] = learnInitialState ? p.s[j] - LEARNING_RATE * sum.s[j] / divisor : p.s[j];
        }
        return next;
    }

    /** The parameters after the two updates of one pass: batch {s1, s2} averaged over 2, then {s3} over 1. */
    public static Params expectedAfterOnePass(boolean learnInitialState) {
        Params p1 = step(Params.initial(), SEQUENCES.subList(0, 2), 2, learnInitialState);
        return step(p1, SEQUENCES.subList(2, 3), 1, learnInitialState);
    }

    /** Adam's settings for {@link #adamAfterOnePass}, the learning rate that of the plain example. */
    public record AdamSettings(double beta1, double beta2, double epsilon, boolean biasCorrected) {
    }

    /**
     * The pass under Adam: g the batch's averaged gradient, update k = 0, 1 with t = k + 1,
     * m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, p -= lr (m / (1 - beta1^t)) /
     * (sqrt(v / (1 - beta2^t)) + epsilon); without bias correction (to show the test can tell)
     * the two divisions by 1 - beta^t are left out.
     */
    public static Params adamAfterOnePass(AdamSettings a) {
        double[] m = new double[8];
        double[] v = new double[8];
        Params p = Params.initial();
        List<List<Seq>> batches = List.of(SEQUENCES.subList(0, 2), SEQUENCES.subList(2, 3));
        for (int k = 0; k < batches.size(); k++) {
            List<Seq> batch = batches.get(k);
            double[] g = new double[8];
            for (Seq seq : batch) {
                double[] one = flat(gradient(p, seq));
                for (int x = 0; x < 8; x++) {
                    g[x] += one[x] / batch.size();
                }
            }
            int t = k + 1;
            double c1 = a.biasCorrected() ? 1 - Math.pow(a.beta1(), t) : 1;
            double c2 = a.biasCorrected() ? 1 - Math.pow(a.beta2(), t) : 1;
            double[] flat = flat(p);
            for (int x = 0; x < 8; x++) {
                m[x] = a.beta1() * m[x] + (1 - a.beta1()) * g[x];
                v[x] = a.beta2() * v[x] + (1 - a.beta2()) * g[x] * g[x];
                flat[x] -= LEARNING_RATE * (m[x] / c1) / (Math.sqrt(v[x] / c2) + a.epsilon());
            }
            p = unflat(flat);
        }
        return p;
    }

    /** w00 w01 w10 w11 b0 b1 s0 s1. */
    private static double[] flat(Params p) {
        return new double[] {p.w[0][0], p.w[0][1], p.w[1][0], p.w[1][1], p.b[0], p.b[1], p.s[0], p.s[1]};
    }

    private static Params unflat(double[] x) {
        Params p = new Params();
        p.w[0][0] = x[0];
        p.w[0][1] = x[1];
        p.w[1][0] = x[2];
        p.w[1][1] = x[3];
        p.b[0] = x[4];
        p.b[1] = x[5];
        p.s[0] = x[6];
        p.s[1] = x[7];
        return p;
    }

    /** The same pass with the short batch wrongly averaged over the full batch size (to show the test can tell). */
    public static Params wronglyAveraged() {
        Params p1 = step(Params.initial(), SEQUENCES.subList(0, 2), 2, true);
        return step(p1, SEQUENCES.subList(2, 3), 2, true);
    }

    /** Largest |a - b| / max(1, |b|) over every parameter. */
    public static double distance(Parameters got, Params expected) {
        double worst = 0.0;
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 2; i++) {
                worst = Math.max(worst, rel(got.weight(j, i), expected.w[j][i]));
            }
            worst = Math.max(worst, rel(got.biases[j], expected.b[j]));
            worst = Math.max(worst, rel(got.initialState[j], expected.s[j]));
        }
        return worst;
    }

    private static double rel(double got, double expected) {
        return Math.abs(got - expected) / Math.max(1.0, Math.abs(expected));
    }
}
