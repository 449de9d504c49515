package dev.unroll.model;

/**
 * Backpropagation through time, exactly as the model contract defines it.
 *
 * <p>A recurrent net run for T steps is a feed-forward net with one layer per step whose weights
 * are the same at every step. {@link #forward} runs it, keeping the stack of activities
 * h_0 .. h_T; {@link #backward} peels the stack off from t = T down to 1, and because every
 * layer uses the same weights, the derivatives of all copies of a weight are added. What is left
 * at t = 0 is the derivative with respect to the initial states, which are learned too.
 *
 * <p>The methods are static and allocate only the stack and a few vectors of N, so one thread
 * can run them for any number of sequences.
 */
public final class Bptt {
    private Bptt() {
    }

    /** The stack of activities of one sequence, and the loss it gave. */
    public static final class Activities {
        final int units;
        final int steps;
        /** h_t[u] at {@code states[t*N+u]}, t = 0 .. T */
        final double[] states;
        final TargetIndex targets;
        final double loss;

        Activities(int units, int steps, double[] states, TargetIndex targets, double loss) {
            this.units = units;
            this.steps = steps;
            this.states = states;
            this.targets = targets;
            this.loss = loss;
        }

        public double loss() {
            return loss;
        }

        public double state(int t, int u) {
            return states[t * units + u];
        }

        public int steps() {
            return steps;
        }
    }

    /** dE/d(parameters) for one sequence, masked and tied: the output of the {@code gradient} command. */
    public static Gradients gradient(Network net, Sequence seq) {
        Gradients g = new Gradients(net.units());
        accumulate(net, seq, g);
        net.constrain(g);
        return g;
    }

    /**
     * Adds one sequence's per-copy derivatives, loss and count to {@code sum}. The caller applies
     * {@link Network#constrain} once to the finished sum.
     */
    public static void accumulate(Network net, Sequence seq, Gradients sum) {
        Activities stack = forward(net, seq, seq.steps());
        backward(net, seq, stack, sum);
        sum.loss += stack.loss;
        sum.count += 1;
        for (Sequence.Target target : seq.targets()) {
            for (int k = 0; k < target.units().length; k++) {
                sum.judge(net.activation(), target.values()[k], stack.state(target.t(), target.units()[k]));
            }
        }
    }

    /**
     * The forward pass: h_0 from the data or the learned initial state, input units clamped
     * where the data says so, then h_t = f(W h_{t-1} + b) for every unit not clamped. The loss
     * is added up here because cross-entropy is computed from the net input a_t, which the
     * stack does not keep.
     *
     * @param runSteps how many steps to run: the sequence's T, or more to watch the network
     *                 settle (inputs and targets apply only up to T)
     */
    public static Activities forward(Network net, Sequence seq, int runSteps) {
        int n = net.units();
        int steps = seq.steps();
        Parameters p = net.parameters();
        double[] w = p.weights;
        Activation f = net.activation();
        boolean crossEntropy = net.loss() == Loss.CROSS_ENTROPY;
        TargetIndex targets = TargetIndex.of(seq);

        double[] h = new double[(runSteps + 1) * n];
        double[] a = new double[n];
        setInitialState(net, seq, h);
        double loss = 0.0;
        for (int t = 1; t <= runSteps; t++) {
            int prev = (t - 1) * n;
            int cur = t * n;
            for (int j = 0; j < n; j++) {
                double sum = p.biases[j];
                int row = j * n;
                for (int i = 0; i < n; i++) {
                    sum += w[row + i] * h[prev + i];
                }
                a[j] = sum;
                h[cur + j] = f.apply(sum);
            }
            boolean clamped = t < steps && seq.hasInputs();
            if (clamped) {
                for (int k = 0; k < net.inputCount(); k++) {
                    h[cur + net.inputUnit(k)] = seq.input(t, k);
                }
            }
            if (t <= steps) {
                for (int e = targets.first(t); e < targets.end(t); e++) {
                    int u = targets.unit(e);
                    double d = targets.value(e);
                    double hu = h[cur + u];
                    boolean fromData = clamped && net.isInputUnit(u);
                    if (!crossEntropy) {
                        loss += 0.5 * (hu - d) * (hu - d);
                    } else if (fromData) {
                        loss += Loss.crossEntropyOfState(hu, d);
                    } else {
                        loss += Loss.crossEntropyOfNetInput(a[u], d);
                    }
                }
            }
        }
        return new Activities(n, runSteps, h, targets, loss);
    }

    /** h_0: the learned initial state, overridden by the data's {@code initial}, then by inputs[0]. */
    static void setInitialState(Network net, Sequence seq, double[] h) {
        System.arraycopy(net.parameters().initialState, 0, h, 0, net.units());
        int[] given = seq.initialUnits();
        for (int k = 0; k < given.length; k++) {
            h[given[k]] = seq.initialValues()[k];
        }
        if (seq.hasInputs()) {
            for (int k = 0; k < net.inputCount(); k++) {
                h[net.inputUnit(k)] = seq.input(0, k);
            }
        }
    }

    /**
     * The backward pass: peels the stack off from t = T to 1. {@code dh} holds dE/dh_t coming
     * back from later steps; adding each target's own error and multiplying by f' gives
     * delta_t = dE/da_t, from which the weight, bias and earlier-state derivatives follow.
     * A clamped unit's state came from the data, so no derivative passes through it.
     */
    static void backward(Network net, Sequence seq, Activities stack, Gradients sum) {
        int n = net.units();
        int steps = seq.steps();
        double[] w = net.parameters().weights;
        double[] h = stack.states;
        Activation f = net.activation();
        boolean crossEntropy = net.loss() == Loss.CROSS_ENTROPY;
        TargetIndex targets = stack.targets;
        double[] gw = sum.weights;
        double[] gb = sum.biases;

        double[] dh = new double[n];
        double[] dhPrev = new double[n];
        double[] direct = new double[n];
        double[] delta = new double[n];
        for (int t = steps; t >= 1; t--) {
            int prev = (t - 1) * n;
            int cur = t * n;
            boolean clamped = t < steps && seq.hasInputs();
            for (int e = targets.first(t); e < targets.end(t); e++) {
                int u = targets.unit(e);
                double err = h[cur + u] - targets.value(e);
                if (crossEntropy) {
                    direct[u] += err;   // dE/da of softplus cross-entropy: h - d
                } else {
                    dh[u] += err;       // dE/dh of squared error
                }
            }
            for (int j = 0; j < n; j++) {
                delta[j] = clamped && net.isInputUnit(j) ? 0.0 : dh[j] * f.slope(h[cur + j]) + direct[j];
                direct[j] = 0.0;
            }
            java.util.Arrays.fill(dhPrev, 0.0);
            for (int j = 0; j < n; j++) {
                double dj = delta[j];
                if (dj == 0.0) {
                    continue;
                }
                gb[j] += dj;
                int row = j * n;
                for (int i = 0; i < n; i++) {
                    gw[row + i] += dj * h[prev + i];
                    dhPrev[i] += w[row + i] * dj;
                }
            }
            double[] swap = dh;
            dh = dhPrev;
            dhPrev = swap;
        }
        addInitialStateDerivatives(net, seq, dh, sum.initialState);
    }

    /** dE/d initialState[u] is what reached h_0[u], unless the data set that unit's start. */
    static void addInitialStateDerivatives(Network net, Sequence seq, double[] dh0, double[] gs) {
        boolean[] fromData = new boolean[net.units()];
        for (int u : seq.initialUnits()) {
            fromData[u] = true;
        }
        if (seq.hasInputs()) {
            for (int k = 0; k < net.inputCount(); k++) {
                fromData[net.inputUnit(k)] = true;
            }
        }
        for (int u = 0; u < gs.length; u++) {
            if (!fromData[u]) {
                gs[u] += dh0[u];
            }
        }
    }
}
