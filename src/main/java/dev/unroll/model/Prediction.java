package dev.unroll.model;

/**
 * What the network says about one sequence: the states of its output units at t = 1 .. T (every
 * unit when the network names no outputs), the clamped value where inputs clamp an output unit,
 * and the loss when the sequence has targets. The forward pass is {@link Bptt#forward}, the one
 * that training and {@code evaluate} run, so a prediction is exactly what training saw.
 *
 * @param id      the sequence's id, or null
 * @param columns output units per step
 * @param outputs T rows of {@code columns}, row-major: row t-1 is h_t
 * @param hasLoss whether the sequence has target terms
 * @param loss    E of the sequence's targets (0 without them)
 */
public record Prediction(String id, int columns, double[] outputs, boolean hasLoss, double loss) {

    /** Runs the sequence through the network. */
    public static Prediction of(Network net, Sequence seq) {
        Bptt.Activities run = Bptt.forward(net, seq, seq.steps());
        int[] units = reported(net);
        int steps = seq.steps();
        double[] outputs = new double[steps * units.length];
        for (int t = 1; t <= steps; t++) {
            for (int k = 0; k < units.length; k++) {
                outputs[(t - 1) * units.length + k] = run.state(t, units[k]);
            }
        }
        return new Prediction(seq.id(), units.length, outputs, seq.targetTermCount() > 0, run.loss());
    }

    /** The units a prediction reports: the output units as listed, or every unit when none are named. */
    static int[] reported(Network net) {
        int[] outputs = net.outputUnits();
        if (outputs.length > 0) {
            return outputs;
        }
        int[] all = new int[net.units()];
        for (int u = 0; u < all.length; u++) {
            all[u] = u;
        }
        return all;
    }

    public int steps() {
        return outputs.length / columns;
    }

    /** The state of the k-th reported unit at time t (1 .. T). */
    public double output(int t, int k) {
        return outputs[(t - 1) * columns + k];
    }

    /** Whether every output and the loss are finite numbers (a linear network can overflow). */
    public boolean isFinite() {
        for (double v : outputs) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return !hasLoss || Double.isFinite(loss);
    }
}
