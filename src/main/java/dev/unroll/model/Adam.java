package dev.unroll.model;

/**
 * Adam (Kingma and Ba, 2015), elementwise, with g the averaged (clipped) gradient of update k and
 * t = k + 1:
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * param -= learningRate * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * </pre>
 * m = v = 0 before update 0. t comes from the update's number, not from a count kept here, so a
 * batch that applied nothing (every sequence left out) still advances it, as it advances the
 * version. A masked weight's g is 0, so its m and v stay 0 and it does not move; tied members
 * have equal g and so equal m, v and steps. Its state is m and v (weights, biases, initial states each).
 */
public final class Adam extends Optimizer {
    private double[][] moments;

    Adam(Settings settings, double[][] moments) {
        super(settings);
        this.moments = copy(moments);
    }

    @Override
    public double[][] state() {
        return copy(moments);
    }

    @Override
    void apply(Parameters next, Gradients sum, double scale, long update) {
        if (moments == null) {
            int n = sum.units;
            moments = new double[][] {new double[n * n], new double[n], new double[n],
                    new double[n * n], new double[n], new double[n]};
        }
        long t = update + 1;
        double correct1 = 1.0 - Math.pow(settings.beta1(), t);
        double correct2 = 1.0 - Math.pow(settings.beta2(), t);
        move(next.weights, sum.weights, moments[0], moments[3], scale, correct1, correct2, true);
        move(next.biases, sum.biases, moments[1], moments[4], scale, correct1, correct2, true);
        move(next.initialState, sum.initialState, moments[2], moments[5], scale, correct1, correct2,
                settings.learnInitialState());
    }

    private void move(double[] p, double[] sum, double[] m, double[] v, double scale, double correct1,
                      double correct2, boolean learned) {
        double b1 = settings.beta1();
        double b2 = settings.beta2();
        double lr = settings.learningRate();
        double eps = settings.epsilon();
        for (int k = 0; k < p.length; k++) {
            double g = sum[k] * scale;
            m[k] = b1 * m[k] + (1 - b1) * g;
            v[k] = b2 * v[k] + (1 - b2) * g * g;
            if (learned) {
                p[k] -= lr * (m[k] / correct1) / (Math.sqrt(v[k] / correct2) + eps);
            }
        }
    }
}
