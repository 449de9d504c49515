package dev.unroll.model;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A fully recurrent network: its fixed structure (units, input and output units, activation,
 * loss, connection mask, tied weight groups) and its current {@link Parameters}.
 * Instances are built by {@code NetworkJson} after validation; the structure never changes,
 * training produces new parameters through {@link #withParameters}.
 */
public final class Network {
    private final int units;
    private final int[] inputUnits;
    private final int[] outputUnits;
    private final Activation activation;
    private final Loss loss;
    /** connection exists, row-major like the weights; null when the network has no mask */
    private final boolean[] mask;
    /** each group's members as flat weight indices j*N+i */
    private final int[][] tiedGroups;
    private final boolean[] isInputUnit;
    private final Parameters parameters;

    public Network(int units, int[] inputUnits, int[] outputUnits, Activation activation, Loss loss,
                   boolean[] mask, int[][] tiedGroups, Parameters parameters) {
        this.units = units;
        this.inputUnits = inputUnits.clone();
        this.outputUnits = outputUnits.clone();
        this.activation = activation;
        this.loss = loss;
        this.mask = mask == null ? null : mask.clone();
        this.tiedGroups = deepCopy(tiedGroups);
        this.isInputUnit = new boolean[units];
        for (int u : inputUnits) {
            isInputUnit[u] = true;
        }
        this.parameters = parameters;
    }

    public Network withParameters(Parameters newParameters) {
        if (newParameters.units != units) {
            throw new IllegalArgumentException("parameters of " + newParameters.units + " units for a network of " + units);
        }
        return new Network(units, inputUnits, outputUnits, activation, loss, mask, tiedGroups, newParameters);
    }

    public int units() {
        return units;
    }

    public int[] inputUnits() {
        return inputUnits.clone();
    }

    public int inputUnit(int k) {
        return inputUnits[k];
    }

    public int inputCount() {
        return inputUnits.length;
    }

    public boolean isInputUnit(int u) {
        return isInputUnit[u];
    }

    public int[] outputUnits() {
        return outputUnits.clone();
    }

    public Activation activation() {
        return activation;
    }

    public Loss loss() {
        return loss;
    }

    public boolean hasMask() {
        return mask != null;
    }

    /** Whether the connection from unit i to unit j exists. */
    public boolean connected(int j, int i) {
        return mask == null || mask[j * units + i];
    }

    public int[][] tiedGroups() {
        return deepCopy(tiedGroups);
    }

    public Parameters parameters() {
        return parameters;
    }

    /**
     * Turns per-copy derivatives into derivatives of the free parameters: a masked connection
     * gets 0, and every member of a tied group gets the sum of the members' derivatives (the
     * derivative of E with respect to the one shared value). Linear, so it may be applied to
     * one sequence's gradients or to a whole batch's sum.
     */
    public void constrain(Gradients g) {
        if (mask != null) {
            for (int k = 0; k < mask.length; k++) {
                if (!mask[k]) {
                    g.weights[k] = 0.0;
                }
            }
        }
        for (int[] group : tiedGroups) {
            double sum = 0.0;
            for (int k : group) {
                sum += g.weights[k];
            }
            for (int k : group) {
                g.weights[k] = sum;
            }
        }
    }

    private static int[][] deepCopy(int[][] groups) {
        int[][] copy = new int[groups.length][];
        for (int g = 0; g < groups.length; g++) {
            copy[g] = groups[g].clone();
        }
        return copy;
    }

    /**
     * A 64-bit digest of the structure (everything but the parameters), equal for networks of
     * {@link #sameStructure} and different otherwise but for a 2^-64 chance: lets a compact
     * parameter record name the structure it belongs to without carrying it.
     */
    public long structureFingerprint() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(units);
            out.writeUTF(activation.name());
            out.writeUTF(loss.name());
            writeInts(out, inputUnits);
            writeInts(out, outputUnits);
            for (int k = 0; k < units * units; k++) {
                out.writeBoolean(mask == null || mask[k]);
            }
            out.writeInt(tiedGroups.length);
            for (int[] group : tiedGroups) {
                writeInts(out, group);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray())).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static void writeInts(DataOutputStream out, int[] values) throws IOException {
        out.writeInt(values.length);
        for (int v : values) {
            out.writeInt(v);
        }
    }

    /** Same structure (everything but the parameters). */
    public boolean sameStructure(Network o) {
        return units == o.units && Arrays.equals(inputUnits, o.inputUnits) && Arrays.equals(outputUnits, o.outputUnits)
                && activation == o.activation && loss == o.loss && Arrays.equals(mask, o.mask)
                && Arrays.deepEquals(tiedGroups, o.tiedGroups);
    }
}
