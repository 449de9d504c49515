package dev.unroll.task;

import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The lecture's binary-addition experiment: the network adds two numbers fed to it bit by bit.
 *
 * <p>The two input units are clamped at every step with one column of the two numbers, least
 * significant first: column k at h_k, then zeros. The output unit's target at
 * {@code t = k + delay} is bit k of the sum, one target per column, the carry-out column
 * included. A sequence of {@code bits} columns (plus one for the carry-out) therefore has
 * {@code T = columns - 1 + delay} steps.
 *
 * <p>Why the default delay is 2: the sum bit of column k is a XOR b XOR carry, which no single
 * logistic unit can compute from h_k. The column at h_k reaches the hidden units at h_{k+1}
 * (which can hold "how many of a, b, carry are on": the carry into the next column is just
 * "at least two"), and the output unit reads those at h_{k+2}. Delay 1 is not learnable by a
 * one-step-per-layer net; delay 2 is the smallest that is.
 */
final class BinaryAddition implements Task {
    static final String TYPE = "binary-addition";
    private static final Set<String> KEYS = Set.of("type", "minBits", "maxBits", "delay", "carryOut", "outputUnit");
    /** longs hold the numbers and their sum */
    private static final int MAX_BITS = 62;

    private final int minBits;
    private final int maxBits;
    private final int delay;
    private final boolean carryOut;
    private final int outputUnit;
    private final double low;
    private final double high;

    private BinaryAddition(int minBits, int maxBits, int delay, boolean carryOut, int outputUnit, double low, double high) {
        this.minBits = minBits;
        this.maxBits = maxBits;
        this.delay = delay;
        this.carryOut = carryOut;
        this.outputUnit = outputUnit;
        this.low = low;
        this.high = high;
    }

    static BinaryAddition from(TaskSection s, Network net) {
        s.allowOnly(TYPE, KEYS);
        int minBits = s.integer("minBits", 1, 1, MAX_BITS);
        int maxBits = s.integer("maxBits", 8, 1, MAX_BITS);
        if (maxBits < minBits) {
            throw s.fail("maxBits", "must be at least minBits (" + minBits + "), found " + maxBits);
        }
        int delay = s.integer("delay", 2, 1, 1000);
        boolean carryOut = s.bool("carryOut", true);
        if (net.inputCount() != 2) {
            throw s.fail("type", TYPE + " needs a network with exactly 2 input units (the two numbers' bits), found "
                    + net.inputCount());
        }
        int[] outputs = net.outputUnits();
        int outputUnit;
        if (s.has("outputUnit")) {
            outputUnit = s.integer("outputUnit", 0, 0, net.units() - 1);
        } else if (outputs.length > 0) {
            outputUnit = outputs[0];
        } else {
            throw s.fail("outputUnit", "missing: the network names no outputUnits, so say which unit gives the sum");
        }
        if (net.isInputUnit(outputUnit)) {
            throw s.fail("outputUnit", "unit " + outputUnit + " is an input unit");
        }
        return new BinaryAddition(minBits, maxBits, delay, carryOut, outputUnit,
                net.activation().low(), net.activation().high());
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Sequence generate(SplittableRandom rnd, String id) {
        int bits = minBits + rnd.nextInt(maxBits - minBits + 1);
        long a = rnd.nextLong() >>> (64 - bits);
        long b = rnd.nextLong() >>> (64 - bits);
        return of(id, a, b, bits);
    }

    /** The sequence that adds a and b written with {@code bits} bits each. */
    Sequence of(String id, long a, long b, int bits) {
        long sum = a + b;
        int columns = bits + (carryOut ? 1 : 0);
        int steps = columns - 1 + delay;
        double[] inputs = new double[steps * 2];
        for (int t = 0; t < steps; t++) {
            inputs[2 * t] = t < bits && bit(a, t) ? high : low;
            inputs[2 * t + 1] = t < bits && bit(b, t) ? high : low;
        }
        List<Sequence.Target> targets = new ArrayList<>(columns);
        for (int k = 0; k < columns; k++) {
            targets.add(new Sequence.Target(k + delay, new int[]{outputUnit}, new double[]{bit(sum, k) ? high : low}));
        }
        return new Sequence(id, steps, null, null, inputs, 2, targets);
    }

    /** The question alone: the two numbers' bits as inputs, no targets (a request to predict). */
    Sequence question(String id, long a, long b, int bits) {
        Sequence full = of(id, a, b, bits);
        double[] inputs = new double[full.steps() * 2];
        for (int t = 0; t < full.steps(); t++) {
            inputs[2 * t] = full.input(t, 0);
            inputs[2 * t + 1] = full.input(t, 1);
        }
        return new Sequence(id, full.steps(), null, null, inputs, 2, List.of());
    }

    /** The sum a network's answer says: bit k is the output unit's state at t = k + delay, read against the middle. */
    long sum(java.util.function.IntToDoubleFunction outputAt, int bits, double middle) {
        int columns = bits + (carryOut ? 1 : 0);
        long sum = 0;
        for (int k = 0; k < columns; k++) {
            if (outputAt.applyAsDouble(k + delay) > middle) {
                sum |= 1L << k;
            }
        }
        return sum;
    }

    int maxBits() {
        return maxBits;
    }

    int outputUnit() {
        return outputUnit;
    }

    private static boolean bit(long x, int k) {
        return ((x >>> k) & 1L) != 0;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TYPE);
        m.put("minBits", minBits);
        m.put("maxBits", maxBits);
        m.put("delay", delay);
        m.put("carryOut", carryOut);
        m.put("outputUnit", outputUnit);
        return m;
    }
}
