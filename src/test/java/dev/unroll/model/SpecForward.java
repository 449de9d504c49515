package dev.unroll.model;

import java.util.Arrays;

/**
 * The loss of one sequence, written again straight from the text of docs/model.md, sharing no code
 * with {@link Bptt}: plain 2-D arrays, the states of all steps kept, every rule spelled out. Tests
 * use it as an independent statement of the forward dynamics and of the loss.
 */
public final class SpecForward {
    private SpecForward() {
    }

    /** E for the network's structure and the parameters given (row-major weights W[j][i] at j*N+i). */
    public static double loss(Network net, Sequence seq, double[] weights, double[] biases, double[] initialState) {
        int n = net.units();
        int steps = seq.steps();
        int[] inputUnits = net.inputUnits();
        // position of each input unit in inputUnits as listed (inputs[t][k] is for the k-th listed unit)
        int[] inputPosition = new int[n];
        Arrays.fill(inputPosition, -1);
        for (int k = 0; k < inputUnits.length; k++) {
            inputPosition[inputUnits[k]] = k;
        }
        boolean haveInputs = seq.hasInputs();

        double[][] h = new double[steps + 1][n];
        double[][] a = new double[steps + 1][n];
        boolean[][] clamped = new boolean[steps + 1][n];
        for (int u = 0; u < n; u++) {
            h[0][u] = initialState[u];
        }
        for (int k = 0; k < seq.initialUnits().length; k++) {
            h[0][seq.initialUnits()[k]] = seq.initialValues()[k];
        }
        for (int t = 0; t <= steps - 1; t++) {
            for (int u = 0; u < n; u++) {
                clamped[t][u] = haveInputs && inputPosition[u] >= 0;
            }
        }
        for (int u = 0; u < n; u++) {
            if (clamped[0][u]) {
                h[0][u] = seq.input(0, inputPosition[u]);
            }
        }
        for (int t = 1; t <= steps; t++) {
            for (int j = 0; j < n; j++) {
                if (clamped[t][j]) {
                    h[t][j] = seq.input(t, inputPosition[j]);
                    a[t][j] = Double.NaN;
                    continue;
                }
                double sum = biases[j];
                for (int i = 0; i < n; i++) {
                    sum += weights[j * n + i] * h[t - 1][i];
                }
                a[t][j] = sum;
                h[t][j] = f(net.activation(), sum);
            }
        }

        double e = 0.0;
        for (Sequence.Target target : seq.targets()) {
            int t = target.t();
            for (int k = 0; k < target.units().length; k++) {
                int u = target.units()[k];
                double d = target.values()[k];
                double y = h[t][u];
                if (net.loss() == Loss.SQUARED) {
                    e += 0.5 * (y - d) * (y - d);
                } else if (clamped[t][u]) {
                    // a data value: -[d ln y + (1-d) ln(1-y)], with 0 ln 0 = 0
                    e -= (d == 0.0 ? 0.0 : d * Math.log(y)) + (d == 1.0 ? 0.0 : (1.0 - d) * Math.log(1.0 - y));
                } else {
                    // ln y = -softplus(-a), ln(1-y) = -softplus(a)
                    e += d * softplus(-a[t][u]) + (1.0 - d) * softplus(a[t][u]);
                }
            }
        }
        return e;
    }

    public static double loss(Network net, Sequence seq, Parameters p) {
        return loss(net, seq, p.weights, p.biases, p.initialState);
    }

    static double f(Activation activation, double a) {
        switch (activation) {
            case LOGISTIC:
                return 1.0 / (1.0 + Math.exp(-a));
            case TANH:
                return Math.tanh(a);
            case LINEAR:
                return a;
            default:
                throw new AssertionError(activation);
        }
    }

    static double softplus(double x) {
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
