package dev.unroll.model;

/**
 * Gradient descent, {@code param -= learningRate * g} with g the averaged (clipped) gradient; with
 * momentum the heavy ball: {@code v = momentum * v + g; param -= learningRate * v}, v = 0 before
 * the first update. Its state is v (weights, biases, initial states), kept only with momentum.
 */
public final class Sgd extends Optimizer {
    private double[][] velocity;

    Sgd(Settings settings, double[][] velocity) {
        super(settings);
        this.velocity = copy(velocity);
    }

    @Override
    public double[][] state() {
        return copy(velocity);
    }

    @Override
    void apply(Parameters next, Gradients sum, double scale, long update) {
        double lr = settings.learningRate();
        if (settings.momentum() == 0.0) {
            descend(next.weights, sum.weights, lr, scale);
            descend(next.biases, sum.biases, lr, scale);
            if (settings.learnInitialState()) {
                descend(next.initialState, sum.initialState, lr, scale);
            }
            return;
        }
        if (velocity == null) {
            velocity = new double[][] {new double[sum.weights.length], new double[sum.units], new double[sum.units]};
        }
        blend(velocity[0], sum.weights, scale);
        blend(velocity[1], sum.biases, scale);
        blend(velocity[2], sum.initialState, scale);
        descend(next.weights, velocity[0], lr, 1.0);
        descend(next.biases, velocity[1], lr, 1.0);
        if (settings.learnInitialState()) {
            descend(next.initialState, velocity[2], lr, 1.0);
        }
    }

    private void blend(double[] v, double[] g, double scale) {
        for (int k = 0; k < v.length; k++) {
            v[k] = settings.momentum() * v[k] + g[k] * scale;
        }
    }

    private static void descend(double[] p, double[] g, double lr, double scale) {
        for (int k = 0; k < p.length; k++) {
            p[k] -= lr * (g[k] * scale);
        }
    }
}
