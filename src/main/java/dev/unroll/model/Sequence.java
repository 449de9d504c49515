package dev.unroll.model;

import java.util.List;

/**
 * One training case (one Kafka record): T steps, optional initial states given by the data,
 * optional inputs clamping the network's input units at t = 0 .. T-1, and target terms.
 * Built by {@code SequenceJson} after validation against a network.
 */
public final class Sequence {
    /** A desired state of some units at time t (1 <= t <= T); each entry is its own loss term. */
    public record Target(int t, int[] units, double[] values) {
    }

    private final String id;
    /** with per-key models, the model this sequence trains; null when the record does not name one */
    private final String key;
    private final int steps;
    private final int[] initialUnits;
    private final double[] initialValues;
    /** row-major T x inputWidth, or null when the inputs do not clamp anything */
    private final double[] inputs;
    private final int inputWidth;
    private final List<Target> targets;

    public Sequence(String id, int steps, int[] initialUnits, double[] initialValues,
                    double[] inputs, int inputWidth, List<Target> targets) {
        this(id, null, steps, initialUnits, initialValues, inputs, inputWidth, targets);
    }

    public Sequence(String id, String key, int steps, int[] initialUnits, double[] initialValues,
                    double[] inputs, int inputWidth, List<Target> targets) {
        this.id = id;
        this.key = key;
        this.steps = steps;
        this.initialUnits = initialUnits == null ? new int[0] : initialUnits;
        this.initialValues = initialValues == null ? new double[0] : initialValues;
        this.inputs = inputs;
        this.inputWidth = inputWidth;
        this.targets = List.copyOf(targets);
    }

    public String id() {
        return id;
    }

    /** The model this sequence trains with per-key models, or null when it names none. */
    public String key() {
        return key;
    }

    /** The same sequence for the model {@code newKey} (a Kafka record's key, when the sequence names none). */
    public Sequence withKey(String newKey) {
        return new Sequence(id, newKey, steps, initialUnits, initialValues, inputs, inputWidth, targets);
    }

    public int steps() {
        return steps;
    }

    public int[] initialUnits() {
        return initialUnits;
    }

    public double[] initialValues() {
        return initialValues;
    }

    public boolean hasInputs() {
        return inputs != null;
    }

    /** The value clamped on the k-th input unit (in {@code inputUnits} order) at time t. */
    public double input(int t, int k) {
        return inputs[t * inputWidth + k];
    }

    public int inputWidth() {
        return inputWidth;
    }

    public List<Target> targets() {
        return targets;
    }

    /** The number of (t, unit, value) loss terms. */
    public int targetTermCount() {
        int n = 0;
        for (Target target : targets) {
            n += target.units().length;
        }
        return n;
    }
}
