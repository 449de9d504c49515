package dev.unroll.model;

/**
 * AdaGrad (Duchi, Hazan and Singer, 2011), elementwise, with g the averaged (clipped) gradient:
 * <pre>
 * G = G + g * g
 * param -= learningRate * g / (sqrt(G) + epsilon)
 * </pre>
 * G = 0 before update 0. Each parameter's step shrinks with the squares of all its gradients so
 * far. As under Adam, a masked weight (g = 0 always) does not move and tied members move alike.
 * Its state is G (weights, biases, initial states).
 */
public final class AdaGrad extends Optimizer {
    private double[][] squares;

    AdaGrad(Settings settings, double[][] squares) {
        super(settings);
        this.squares = copy(squares);
    }

    @Override
    public double[][] state() {
        return copy(squares);
    }

    @Override
    void apply(Parameters next, Gradients sum, double scale, long update) {
        if (squares == null) {
            squares = new double[][] {new double[sum.weights.length], new double[sum.units], new double[sum.units]};
        }
        move(next.weights, sum.weights, squares[0], scale, true);
        move(next.biases, sum.biases, squares[1], scale, true);
        move(next.initialState, sum.initialState, squares[2], scale, settings.learnInitialState());
    }

    private void move(double[] p, double[] sum, double[] squared, double scale, boolean learned) {
        double lr = settings.learningRate();
        double eps = settings.epsilon();
        for (int k = 0; k < p.length; k++) {
            double g = sum[k] * scale;
            squared[k] += g * g;
            if (learned) {
                p[k] -= lr * g / (Math.sqrt(squared[k]) + eps);
            }
        }
    }
}
