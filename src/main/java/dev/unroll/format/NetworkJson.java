package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import dev.unroll.model.Activation;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Loss;
import dev.unroll.model.Limits;
import dev.unroll.model.Parameters;

/** Reads and writes {@code network.json}, enforcing every validity rule of the model contract. */
public final class NetworkJson {
    private static final Set<String> FIELDS = Set.of("units", "inputUnits", "outputUnits", "activation", "loss",
            "weights", "biases", "initialState", "mask", "tied", "provenance");

    private NetworkJson() {
    }

    public static Network read(Path file, Limits limits) {
        return parse(readText(file), file.toString(), limits);
    }

    public static Network parse(String text, String source, Limits limits) {
        return fromTree(new JsonReader(source).parse(text), source, limits);
    }

    /** The same checks on an already parsed document (a parameter record's "network", for example). */
    public static Network fromTree(JsonNode root, String source, Limits limits) {
        JsonReader r = new JsonReader(source);
        r.requireObject(root, "");
        r.rejectUnknown(root, "", FIELDS);

        int n = r.integer(r.required(root, "units", ""), "units");
        if (n < 1) {
            throw r.fail("units", "must be at least 1, found " + n);
        }
        if (n > limits.maxUnits()) {
            throw r.fail("units", n + " exceeds the limit of " + limits.maxUnits() + " units");
        }
        JsonNode inputNode = JsonReader.optional(root, "inputUnits");
        int[] inputUnits = inputNode == null ? new int[0] : r.units(inputNode, "inputUnits", n);
        JsonNode outputNode = JsonReader.optional(root, "outputUnits");
        int[] outputUnits = outputNode == null ? new int[0] : r.units(outputNode, "outputUnits", n);

        Activation activation = Activation.LOGISTIC;
        JsonNode act = JsonReader.optional(root, "activation");
        if (act != null) {
            activation = Activation.fromJson(r.text(act, "activation"));
            if (activation == null) {
                throw r.fail("activation", "must be logistic, tanh or linear, found \"" + act.textValue() + "\"");
            }
        }
        Loss loss = Loss.SQUARED;
        JsonNode lossNode = JsonReader.optional(root, "loss");
        if (lossNode != null) {
            loss = Loss.fromJson(r.text(lossNode, "loss"));
            if (loss == null) {
                throw r.fail("loss", "must be squared or cross-entropy, found \"" + lossNode.textValue() + "\"");
            }
        }
        if (loss == Loss.CROSS_ENTROPY && activation != Activation.LOGISTIC) {
            throw r.fail("loss", "cross-entropy needs logistic units, found activation " + activation.jsonName());
        }

        double[] weights = new double[n * n];
        JsonNode rows = r.array(r.required(root, "weights", ""), "weights", n);
        for (int j = 0; j < n; j++) {
            double[] row = r.numbers(rows.get(j), "weights[" + j + "]", n);
            System.arraycopy(row, 0, weights, j * n, n);
        }
        double[] biases = r.numbers(r.required(root, "biases", ""), "biases", n);
        double[] initialState = r.numbers(r.required(root, "initialState", ""), "initialState", n);

        boolean[] mask = null;
        JsonNode maskNode = JsonReader.optional(root, "mask");
        if (maskNode != null) {
            mask = readMask(r, maskNode, n, weights);
        }
        int[][] tied = new int[0][];
        JsonNode tiedNode = JsonReader.optional(root, "tied");
        if (tiedNode != null) {
            tied = readTied(r, tiedNode, n, weights, mask);
        }
        return new Network(n, inputUnits, outputUnits, activation, loss, mask, tied,
                new Parameters(n, weights, biases, initialState));
    }

    private static boolean[] readMask(JsonReader r, JsonNode node, int n, double[] weights) {
        boolean[] mask = new boolean[n * n];
        r.array(node, "mask", n);
        for (int j = 0; j < n; j++) {
            JsonNode row = r.array(node.get(j), "mask[" + j + "]", n);
            for (int i = 0; i < n; i++) {
                String f = "mask[" + j + "][" + i + "]";
                int v = r.integer(row.get(i), f);
                if (v != 0 && v != 1) {
                    throw r.fail(f, "must be 0 or 1, found " + v);
                }
                mask[j * n + i] = v == 1;
                if (v == 0 && weights[j * n + i] != 0.0) {
                    throw r.fail("weights[" + j + "][" + i + "]", "must be 0 where mask is 0, found " + weights[j * n + i]);
                }
            }
        }
        return mask;
    }

    private static int[][] readTied(JsonReader r, JsonNode node, int n, double[] weights, boolean[] mask) {
        r.array(node, "tied");
        int[][] groups = new int[node.size()][];
        Map<Integer, String> owner = new HashMap<>();
        for (int g = 0; g < groups.length; g++) {
            String gf = "tied[" + g + "]";
            JsonNode group = r.array(node.get(g), gf);
            if (group.size() == 0) {
                throw r.fail(gf, "a tied group needs at least one member");
            }
            groups[g] = new int[group.size()];
            for (int m = 0; m < group.size(); m++) {
                String f = gf + "[" + m + "]";
                JsonNode pair = r.array(group.get(m), f, 2);
                int j = r.index(pair.get(0), f + "[0]", n);
                int i = r.index(pair.get(1), f + "[1]", n);
                int k = j * n + i;
                String previous = owner.putIfAbsent(k, f);
                if (previous != null) {
                    throw r.fail(f, "weight [" + j + ", " + i + "] is already tied at " + previous);
                }
                if (mask != null && !mask[k]) {
                    throw r.fail(f, "weight [" + j + ", " + i + "] is masked out and cannot be tied");
                }
                if (weights[k] != weights[groups[g][0]] && m > 0) {
                    int first = groups[g][0];
                    throw r.fail(f, "tied weights differ: [" + j + ", " + i + "] is " + weights[k] + " but ["
                            + first / n + ", " + first % n + "] is " + weights[first]);
                }
                groups[g][m] = k;
            }
        }
        return groups;
    }

    static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "", "no such file");
        } catch (IOException e) {
            throw new ModelException(file.toString(), "", "cannot read: " + e.getMessage());
        }
    }

    /** The network in {@code network.json} form, one weight row per line; provenance may be null. */
    public static String write(Network net, Map<String, Object> provenance) {
        Parameters p = net.parameters();
        int n = net.units();
        StringBuilder s = new StringBuilder(64 + n * n * 24);
        s.append("{\n  \"units\": ").append(n).append(",\n");
        s.append("  \"inputUnits\": ").append(ints(net.inputUnits())).append(",\n");
        s.append("  \"outputUnits\": ").append(ints(net.outputUnits())).append(",\n");
        s.append("  \"activation\": \"").append(net.activation().jsonName()).append("\",\n");
        s.append("  \"loss\": \"").append(net.loss().jsonName()).append("\",\n");
        s.append("  \"weights\": [\n");
        for (int j = 0; j < n; j++) {
            s.append("    ");
            Json.appendNumbers(s, p.weights, j * n, n);
            s.append(j + 1 < n ? ",\n" : "\n");
        }
        s.append("  ],\n  \"biases\": ");
        Json.appendNumbers(s, p.biases, 0, n);
        s.append(",\n  \"initialState\": ");
        Json.appendNumbers(s, p.initialState, 0, n);
        if (net.hasMask()) {
            s.append(",\n  \"mask\": [\n");
            for (int j = 0; j < n; j++) {
                s.append("    [");
                for (int i = 0; i < n; i++) {
                    s.append(i > 0 ? "," : "").append(net.connected(j, i) ? 1 : 0);
                }
                s.append(j + 1 < n ? "],\n" : "]\n");
            }
            s.append("  ]");
        }
        int[][] tied = net.tiedGroups();
        if (tied.length > 0) {
            s.append(",\n  \"tied\": [\n");
            for (int g = 0; g < tied.length; g++) {
                s.append("    [");
                for (int m = 0; m < tied[g].length; m++) {
                    s.append(m > 0 ? "," : "").append('[').append(tied[g][m] / n).append(',').append(tied[g][m] % n).append(']');
                }
                s.append(g + 1 < tied.length ? "],\n" : "]\n");
            }
            s.append("  ]");
        }
        if (provenance != null && !provenance.isEmpty()) {
            s.append(",\n  \"provenance\": ").append(Json.write(provenance));
        }
        return s.append("\n}\n").toString();
    }

    private static String ints(int[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int k = 0; k < values.length; k++) {
            s.append(k > 0 ? "," : "").append(values[k]);
        }
        return s.append(']').toString();
    }
}
