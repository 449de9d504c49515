package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.Limits;

/** Reads and writes sequences (one training case; one line of a {@code .jsonl} file; one Kafka record). */
public final class SequenceJson {
    private static final Set<String> FIELDS = Set.of("id", "key", "steps", "initial", "inputs", "targets");
    private static final Set<String> INITIAL_FIELDS = Set.of("units", "values");
    private static final Set<String> TARGET_FIELDS = Set.of("t", "units", "values");
    private static final JsonNode EMPTY = JsonReader.MAPPER.createArrayNode();

    private SequenceJson() {
    }

    public static Sequence read(Path file, Network net, Limits limits) {
        return parse(NetworkJson.readText(file), file.toString(), net, limits);
    }

    /** Parses and validates one sequence against the network it will train. */
    public static Sequence parse(String text, String source, Network net, Limits limits) {
        return parse(text, source, net, limits, true);
    }

    /**
     * Parses and validates a sequence to predict: the same rules, but {@code targets} may be
     * left out (a prediction then has no loss).
     */
    public static Sequence parseRequest(String text, String source, Network net, Limits limits) {
        return parse(text, source, net, limits, false);
    }

    private static Sequence parse(String text, String source, Network net, Limits limits, boolean targetsRequired) {
        Sequence fast = SequenceStream.tryParse(text, net, limits, targetsRequired);
        return fast != null ? fast : parseTree(text, source, net, limits, targetsRequired);
    }

    /** The reference parser: slower (a tree, and a field path for every value), and it names every problem. */
    static Sequence parseTree(String text, String source, Network net, Limits limits, boolean targetsRequired) {
        JsonReader r = new JsonReader(source);
        JsonNode root = r.parse(text);
        r.requireObject(root, "");
        r.rejectUnknown(root, "", FIELDS);
        int n = net.units();

        String id = null;
        JsonNode idNode = JsonReader.optional(root, "id");
        if (idNode != null) {
            id = r.text(idNode, "id");
        }
        String key = null;
        JsonNode keyNode = JsonReader.optional(root, "key");
        if (keyNode != null) {
            key = checkKey(r.text(keyNode, "key"), r);
        }
        int steps = r.integer(r.required(root, "steps", ""), "steps");
        if (steps < 1) {
            throw r.fail("steps", "must be at least 1, found " + steps);
        }
        if (steps > limits.maxSteps()) {
            throw r.fail("steps", steps + " exceeds the limit of " + limits.maxSteps() + " steps");
        }

        int[] initialUnits = null;
        double[] initialValues = null;
        JsonNode initial = JsonReader.optional(root, "initial");
        if (initial != null) {
            r.requireObject(initial, "initial");
            r.rejectUnknown(initial, "initial", INITIAL_FIELDS);
            initialUnits = r.units(r.required(initial, "units", "initial"), "initial.units", n);
            initialValues = r.numbers(r.required(initial, "values", "initial"), "initial.values", initialUnits.length);
        }

        double[] inputs = null;
        int width = net.inputCount();
        JsonNode inputNode = JsonReader.optional(root, "inputs");
        if (inputNode != null) {
            r.array(inputNode, "inputs", steps);
            inputs = new double[steps * width];
            for (int t = 0; t < steps; t++) {
                String f = "inputs[" + t + "]";
                JsonNode row = r.array(inputNode.get(t), f);
                if (row.size() != width) {
                    throw r.fail(f, "must have one value per input unit (" + width + "), found " + row.size());
                }
                for (int k = 0; k < width; k++) {
                    inputs[t * width + k] = r.number(row.get(k), f + "[" + k + "]");
                }
            }
        }

        JsonNode givenTargets = targetsRequired ? r.required(root, "targets", "") : JsonReader.optional(root, "targets");
        JsonNode targetNode = givenTargets == null ? EMPTY : r.array(givenTargets, "targets");
        List<Sequence.Target> targets = new ArrayList<>(targetNode.size());
        for (int e = 0; e < targetNode.size(); e++) {
            String f = "targets[" + e + "]";
            JsonNode entry = targetNode.get(e);
            r.requireObject(entry, f);
            r.rejectUnknown(entry, f, TARGET_FIELDS);
            int t = r.integer(r.required(entry, "t", f), f + ".t");
            if (t < 1 || t > steps) {
                throw r.fail(f + ".t", "time " + t + " is outside 1.." + steps);
            }
            JsonNode unitNode = r.array(r.required(entry, "units", f), f + ".units");
            int[] units = new int[unitNode.size()];
            for (int k = 0; k < units.length; k++) {
                units[k] = r.index(unitNode.get(k), f + ".units[" + k + "]", n);
            }
            double[] values = r.numbers(r.required(entry, "values", f), f + ".values", units.length);
            targets.add(new Sequence.Target(t, units, values));
        }
        return new Sequence(id, key, steps, initialUnits, initialValues, inputs, width, targets);
    }

    /** Why a sequence without a key cannot train a per-key model. */
    public static final String NO_KEY = "missing: with training.models: per-key every sequence names its model"
            + " (a Kafka record may name it by its record key instead)";

    /** The longest key accepted, in UTF-16 chars: a key is kept in state and on every parameter record. */
    public static final int MAX_KEY_LENGTH = 1024;

    private static String checkKey(String key, JsonReader r) {
        String reason = keyProblem(key);
        if (reason != null) {
            throw r.fail("key", reason);
        }
        return key;
    }

    /** Why {@code key} cannot name a model, or null when it can (the same rule for a Kafka record's key). */
    public static String keyProblem(String key) {
        if (key.isEmpty()) {
            return "must not be empty";
        }
        if (key.length() > MAX_KEY_LENGTH) {
            return "has " + key.length() + " characters, more than the limit of " + MAX_KEY_LENGTH;
        }
        return null;
    }

    /** One line of JSON, the record format of the sequences topic and of {@code .jsonl} files. */
    public static String write(Sequence seq) {
        StringBuilder s = new StringBuilder(128 + seq.steps() * (8 + 10 * seq.inputWidth()));
        s.append('{');
        if (seq.id() != null) {
            s.append("\"id\":").append(Json.write(seq.id())).append(',');
        }
        if (seq.key() != null) {
            s.append("\"key\":").append(Json.write(seq.key())).append(',');
        }
        s.append("\"steps\":").append(seq.steps());
        if (seq.initialUnits().length > 0) {
            s.append(",\"initial\":{\"units\":").append(Json.write(seq.initialUnits())).append(",\"values\":");
            Json.appendNumbers(s, seq.initialValues(), 0, seq.initialValues().length);
            s.append('}');
        }
        if (seq.hasInputs()) {
            s.append(",\"inputs\":[");
            double[] row = new double[seq.inputWidth()];
            for (int t = 0; t < seq.steps(); t++) {
                for (int k = 0; k < row.length; k++) {
                    row[k] = seq.input(t, k);
                }
                s.append(t > 0 ? "," : "");
                Json.appendNumbers(s, row, 0, row.length);
            }
            s.append(']');
        }
        s.append(",\"targets\":[");
        List<Sequence.Target> targets = seq.targets();
        for (int e = 0; e < targets.size(); e++) {
            Sequence.Target target = targets.get(e);
            s.append(e > 0 ? "," : "").append("{\"t\":").append(target.t()).append(",\"units\":")
                    .append(Json.write(target.units())).append(",\"values\":");
            Json.appendNumbers(s, target.values(), 0, target.values().length);
            s.append('}');
        }
        return s.append("]}").toString();
    }
}
