package dev.unroll.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Limits;
import dev.unroll.model.TestSupport;

/**
 * Every validity rule of docs/model.md, and more, through the real {@code gradient} command with
 * real files: exit code 2, nothing on stdout, exactly one line on stderr naming the file and the
 * field ({@code FILE: FIELD: reason}), no stack trace. The same files through the parsers must
 * fail with exactly that field.
 */
class ValidityTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A valid network: inputs listed unsorted, a mask, a tied group. */
    static final String NETWORK = """
            {
              "units": 4,
              "inputUnits": [2, 0],
              "outputUnits": [3],
              "activation": "logistic",
              "loss": "squared",
              "weights": [[0.1, 0.3, 0.0, 0.3], [0.3, -0.1, 0.2, 0.0], [0.0, 0.5, 0.3, 0.3], [0.2, 0.0, -0.4, 0.1]],
              "biases": [0.1, -0.2, 0.05, 0.0],
              "initialState": [0.5, 0.5, 0.25, 0.75],
              "mask": [[1, 1, 0, 1], [1, 1, 1, 0], [0, 1, 1, 1], [1, 0, 1, 1]],
              "tied": [[[0, 3], [1, 0], [2, 3]]]
            }
            """;

    /** A valid sequence for it: an initial subset, inputs, targets. */
    static final String SEQUENCE = """
            {
              "id": "base",
              "steps": 3,
              "initial": {"units": [1], "values": [0.5]},
              "inputs": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
              "targets": [{"t": 1, "units": [3], "values": [1.0]}, {"t": 3, "units": [3, 1], "values": [0.0, 0.5]}]
            }
            """;

    /**
     * One broken file.
     *
     * @param sequence whether the sequence (else the network) is the bad file
     * @param text     the file's content; null for a file that does not exist
     * @param field    the field the error must name; "" for the whole document
     * @param reason   a word the reason must contain (for whole-document errors)
     */
    record Bad(String name, boolean sequence, String text, String field, String reason, int maxUnits, int maxSteps) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Named<Bad>> cases() {
        List<Bad> all = new ArrayList<>();
        // --- network: counts ---
        net(all, "weights: too few rows", n -> rows(n, "weights").remove(3), "weights");
        net(all, "weights: too many rows", n -> rows(n, "weights").add(rows(n, "weights").get(0).deepCopy()), "weights");
        net(all, "weights[3]: too few values", n -> ((ArrayNode) n.get("weights").get(3)).remove(0), "weights[3]");
        net(all, "weights[1]: too many values", n -> ((ArrayNode) n.get("weights").get(1)).add(0.0), "weights[1]");
        net(all, "weights[2]: not a list", n -> rows(n, "weights").set(2, 0.5), "weights[2]");
        net(all, "biases: too many values", n -> rows(n, "biases").add(0.0), "biases");
        net(all, "initialState: too few values", n -> rows(n, "initialState").remove(0), "initialState");
        net(all, "mask: too few rows", n -> rows(n, "mask").remove(0), "mask");
        net(all, "mask[2]: too many values", n -> ((ArrayNode) n.get("mask").get(2)).add(1), "mask[2]");
        // --- network: indices ---
        net(all, "inputUnits: index out of range", n -> rows(n, "inputUnits").set(1, 4), "inputUnits[1]");
        net(all, "inputUnits: duplicate", n -> rows(n, "inputUnits").set(1, 2), "inputUnits[1]");
        net(all, "outputUnits: negative index", n -> rows(n, "outputUnits").set(0, -1), "outputUnits[0]");
        net(all, "inputUnits: not a list", n -> n.put("inputUnits", 2), "inputUnits");
        net(all, "inputUnits: fractional index", n -> rows(n, "inputUnits").set(0, 0.5), "inputUnits[0]");
        // --- network: numbers ---
        netText(all, "NaN token in a weight", "[0.3, -0.1, 0.2, 0.0]", "[0.3, NaN, 0.2, 0.0]", "weights[1][1]");
        netText(all, "Infinity token in a bias", "[0.1, -0.2, 0.05, 0.0]", "[0.1, -0.2, Infinity, 0.0]", "biases[2]");
        netText(all, "-Infinity in initialState", "[0.5, 0.5, 0.25, 0.75]", "[-Infinity, 0.5, 0.25, 0.75]", "initialState[0]");
        netText(all, "1e999 overflows to infinity", "[0.2, 0.0, -0.4, 0.1]", "[0.2, 0.0, -0.4, 1e999]", "weights[3][3]");
        netText(all, "-1e999 in a bias", "[0.1, -0.2, 0.05, 0.0]", "[0.1, -1e999, 0.05, 0.0]", "biases[1]");
        net(all, "a weight given as a string", n -> ((ArrayNode) n.get("weights").get(1)).set(0, "0.3"), "weights[1][0]");
        net(all, "a weight given as null", n -> ((ArrayNode) n.get("weights").get(1)).set(0, MAPPER.nullNode()), "weights[1][0]");
        net(all, "a bias given as a boolean", n -> rows(n, "biases").set(3, true), "biases[3]");
        // --- network: units ---
        net(all, "units: a string", n -> n.put("units", "4"), "units");
        net(all, "units: not whole", n -> n.put("units", 2.5), "units");
        net(all, "units: zero", n -> n.put("units", 0), "units");
        net(all, "units: missing", n -> n.remove("units"), "units");
        net(all, "units: above the default limit", n -> n.put("units", Limits.DEFAULT.maxUnits() + 1), "units");
        all.add(new Bad("units: above --max-units", false, NETWORK, "units", null, 3, 0));
        net(all, "weights: missing", n -> n.remove("weights"), "weights");
        net(all, "biases: missing", n -> n.remove("biases"), "biases");
        net(all, "initialState: missing", n -> n.remove("initialState"), "initialState");
        // --- network: activation and loss ---
        net(all, "unknown activation", n -> n.put("activation", "relu"), "activation");
        net(all, "activation: a number", n -> n.put("activation", 3), "activation");
        net(all, "unknown loss", n -> n.put("loss", "hinge"), "loss");
        net(all, "cross-entropy with tanh", n -> n.put("activation", "tanh").put("loss", "cross-entropy"), "loss");
        net(all, "cross-entropy with linear", n -> n.put("activation", "linear").put("loss", "cross-entropy"), "loss");
        net(all, "unknown field", n -> n.put("bias", 1.0), "bias");
        // --- network: mask and tied ---
        net(all, "non-zero weight where mask is 0", n -> ((ArrayNode) n.get("weights").get(0)).set(2, 0.7), "weights[0][2]");
        net(all, "mask value 2", n -> ((ArrayNode) n.get("mask").get(1)).set(1, 2), "mask[1][1]");
        net(all, "mask value -1", n -> ((ArrayNode) n.get("mask").get(3)).set(0, -1), "mask[3][0]");
        net(all, "mask value 0.5", n -> ((ArrayNode) n.get("mask").get(2)).set(2, 0.5), "mask[2][2]");
        net(all, "tied members with different weights", n -> ((ArrayNode) n.get("weights").get(2)).set(3, 0.31), "tied[0][2]");
        net(all, "a coordinate in two tied groups", n -> rows(n, "tied").add(pairs(new int[] {1, 2}, new int[] {0, 3})), "tied[1][1]");
        net(all, "a coordinate twice in one group", n -> ((ArrayNode) n.get("tied").get(0)).add(pair(1, 0)), "tied[0][3]");
        net(all, "a tied coordinate on a masked connection", n -> rows(n, "tied").add(pairs(new int[] {0, 2}, new int[] {1, 3})), "tied[1][0]");
        net(all, "a tied coordinate out of range", n -> rows(n, "tied").add(pairs(new int[] {4, 0})), "tied[1][0][0]");
        net(all, "a tied member that is not a pair", n -> rows(n, "tied").add(MAPPER.createArrayNode().add(
                MAPPER.createArrayNode().add(0).add(3).add(1))), "tied[1][0]");
        net(all, "an empty tied group", n -> rows(n, "tied").add(MAPPER.createArrayNode()), "tied[1]");
        // --- network: the document ---
        all.add(new Bad("network: truncated JSON", false, NETWORK.substring(0, NETWORK.length() / 2), "", "JSON", 0, 0));
        all.add(new Bad("network: empty file", false, "", "", "empty", 0, 0));
        all.add(new Bad("network: only whitespace", false, "  \n\n", "", "empty", 0, 0));
        all.add(new Bad("network: missing file", false, null, "", "no such file", 0, 0));
        all.add(new Bad("network: a list, not an object", false, "[1, 2]", "", "object", 0, 0));
        all.add(new Bad("network: a key given twice", false, NETWORK.replace("\"units\": 4,", "\"units\": 4, \"units\": 4,"),
                "", "JSON", 0, 0));
        all.add(new Bad("network: trailing garbage", false, NETWORK + " {}", "", "JSON", 0, 0));

        // --- sequence: steps ---
        seq(all, "steps: zero", s -> s.put("steps", 0), "steps");
        seq(all, "steps: negative", s -> s.put("steps", -3), "steps");
        seq(all, "steps: not whole", s -> s.put("steps", 2.5), "steps");
        seq(all, "steps: a string", s -> s.put("steps", "3"), "steps");
        seq(all, "steps: a boolean", s -> s.put("steps", true), "steps");
        seq(all, "steps: missing", s -> s.remove("steps"), "steps");
        seq(all, "steps: above the default limit", s -> s.put("steps", Limits.DEFAULT.maxSteps() + 1), "steps");
        seq(all, "steps: beyond int", s -> s.put("steps", 1L << 40), "steps");
        all.add(new Bad("steps: above --max-steps", true, SEQUENCE, "steps", null, 0, 2));
        // --- sequence: targets ---
        seq(all, "target time 0", s -> target(s, 1).put("t", 0), "targets[1].t");
        seq(all, "target time T+1", s -> target(s, 1).put("t", 4), "targets[1].t");
        seq(all, "target time not whole", s -> target(s, 0).put("t", 1.5), "targets[0].t");
        seq(all, "target time a string", s -> target(s, 0).put("t", "1"), "targets[0].t");
        seq(all, "target time missing", s -> target(s, 1).remove("t"), "targets[1].t");
        seq(all, "target unit out of range", s -> ((ArrayNode) target(s, 0).get("units")).set(0, 4), "targets[0].units[0]");
        seq(all, "target unit negative", s -> ((ArrayNode) target(s, 1).get("units")).set(1, -1), "targets[1].units[1]");
        seq(all, "target values: too few", s -> ((ArrayNode) target(s, 1).get("values")).remove(1), "targets[1].values");
        seq(all, "target values: too many", s -> ((ArrayNode) target(s, 0).get("values")).add(0.1), "targets[0].values");
        seqText(all, "target value NaN", "\"values\": [1.0]", "\"values\": [NaN]", "targets[0].values[0]");
        seqText(all, "target value 1e999", "[0.0, 0.5]", "[0.0, 1e999]", "targets[1].values[1]");
        seq(all, "targets missing", s -> s.remove("targets"), "targets");
        seq(all, "targets not a list", s -> s.put("targets", "none"), "targets");
        seq(all, "a target not an object", s -> rows(s, "targets").set(0, 3), "targets[0]");
        seq(all, "a target with an unknown field", s -> target(s, 0).put("unit", 3), "targets[0].unit");
        // --- sequence: inputs ---
        seq(all, "inputs row with too few values", s -> ((ArrayNode) s.get("inputs").get(1)).remove(0), "inputs[1]");
        seq(all, "inputs row with too many values", s -> ((ArrayNode) s.get("inputs").get(0)).add(0.0), "inputs[0]");
        seq(all, "inputs with too few rows", s -> rows(s, "inputs").remove(2), "inputs");
        seq(all, "inputs with too many rows", s -> rows(s, "inputs").add(rows(s, "inputs").get(0).deepCopy()), "inputs");
        seqText(all, "inputs value Infinity", "[1.0, 1.0]]", "[1.0, Infinity]]", "inputs[2][1]");
        seq(all, "inputs value a string", s -> ((ArrayNode) s.get("inputs").get(0)).set(0, "1"), "inputs[0][0]");
        seq(all, "inputs not a list", s -> s.put("inputs", 1.0), "inputs");
        seq(all, "inputs row not a list", s -> rows(s, "inputs").set(1, 1.0), "inputs[1]");
        // --- sequence: initial ---
        seq(all, "initial: more values than units", s -> ((ArrayNode) s.get("initial").get("values")).add(0.1), "initial.values");
        seq(all, "initial: fewer values than units", s -> ((ArrayNode) s.get("initial").get("values")).remove(0), "initial.values");
        seq(all, "initial unit out of range", s -> ((ArrayNode) s.get("initial").get("units")).set(0, 9), "initial.units[0]");
        seq(all, "initial unit listed twice", s -> {
            ((ArrayNode) s.get("initial").get("units")).add(1);
            ((ArrayNode) s.get("initial").get("values")).add(0.2);
        }, "initial.units[1]");
        seqText(all, "initial value NaN", "\"values\": [0.5]", "\"values\": [NaN]", "initial.values[0]");
        seq(all, "initial with an unknown field", s -> ((ObjectNode) s.get("initial")).put("value", 1), "initial.value");
        seq(all, "initial not an object", s -> s.put("initial", 0.5), "initial");
        seq(all, "initial without units", s -> ((ObjectNode) s.get("initial")).remove("units"), "initial.units");
        // --- sequence: the rest ---
        seq(all, "unknown field", s -> s.put("input", 1), "input");
        seq(all, "id a number", s -> s.put("id", 7), "id");
        all.add(new Bad("sequence: truncated JSON", true, SEQUENCE.substring(0, SEQUENCE.length() - 20), "", "JSON", 0, 0));
        all.add(new Bad("sequence: empty file", true, "", "", "empty", 0, 0));
        all.add(new Bad("sequence: missing file", true, null, "", "no such file", 0, 0));
        all.add(new Bad("sequence: a string, not an object", true, "\"steps\"", "", "object", 0, 0));
        return all.stream().map(b -> Named.of(b.name(), b));
    }

    @Test
    void theBaseFilesAreValid(@TempDir Path dir) {
        Path net = write(dir.resolve("network.json"), NETWORK);
        Path seq = write(dir.resolve("sequence.json"), SEQUENCE);
        TestSupport.Result r = TestSupport.run("gradient", "--network", net.toString(), "--sequence", seq.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.err());
        assertTrue(TestSupport.json(r.out()).get("loss").doubleValue() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aBrokenFileIsRejectedNamingFileAndField(Bad bad, @TempDir Path dir) {
        Path net = dir.resolve("network.json");
        Path seq = dir.resolve("sequence.json");
        write(net, NETWORK);
        write(seq, SEQUENCE);
        Path badFile = bad.sequence() ? seq : net;
        if (bad.text() == null) {
            delete(badFile);
        } else {
            write(badFile, bad.text());
        }
        List<String> args = new ArrayList<>(List.of("gradient", "--network", net.toString(), "--sequence", seq.toString()));
        if (bad.maxUnits() > 0) {
            args.addAll(List.of("--max-units", Integer.toString(bad.maxUnits())));
        }
        if (bad.maxSteps() > 0) {
            args.addAll(List.of("--max-steps", Integer.toString(bad.maxSteps())));
        }

        TestSupport.Result r = TestSupport.run(args.toArray(new String[0]));
        assertEquals(2, r.exitCode(), r.describe());
        assertEquals("", r.out(), "nothing may be computed from a broken file");
        String err = r.err();
        assertTrue(err.endsWith("\n") && err.indexOf('\n') == err.length() - 1 && err.indexOf('\r') < 0,
                "stderr must be exactly one line: " + r.describe());
        assertFalse(err.contains("at dev.") || err.contains("Exception"), "a stack trace or exception name leaked: " + err);
        String prefix = badFile + ": ";
        assertTrue(err.startsWith(prefix), "the error must start with the file " + badFile + ": " + err);
        if (bad.field().isEmpty()) {
            assertTrue(err.toLowerCase().contains(bad.reason().toLowerCase()), "the reason must say " + bad.reason() + ": " + err);
        } else {
            assertTrue(err.startsWith(prefix + bad.field() + ": "), "the error must name the field " + bad.field() + ": " + err);
            assertTrue(err.strip().length() > (prefix + bad.field() + ": ").length() + 5, "the error must give a reason: " + err);
        }

        // the parsers agree on the exact field
        Limits limits = new Limits(bad.maxUnits() > 0 ? bad.maxUnits() : Limits.DEFAULT.maxUnits(),
                bad.maxSteps() > 0 ? bad.maxSteps() : Limits.DEFAULT.maxSteps());
        ModelException e = assertThrows(ModelException.class, () -> {
            Network n = NetworkJson.read(net, limits);
            SequenceJson.read(seq, n, limits);
        });
        assertEquals(badFile.toString(), e.source());
        assertEquals(bad.field(), e.field());
    }

    // ---- building the broken files ----

    private static void net(List<Bad> all, String name, Consumer<ObjectNode> change, String field) {
        all.add(new Bad(name, false, edited(NETWORK, change), field, null, 0, 0));
    }

    private static void seq(List<Bad> all, String name, Consumer<ObjectNode> change, String field) {
        all.add(new Bad(name, true, edited(SEQUENCE, change), field, null, 0, 0));
    }

    private static void netText(List<Bad> all, String name, String from, String to, String field) {
        all.add(new Bad(name, false, replaceOnce(NETWORK, from, to), field, null, 0, 0));
    }

    private static void seqText(List<Bad> all, String name, String from, String to, String field) {
        all.add(new Bad(name, true, replaceOnce(SEQUENCE, from, to), field, null, 0, 0));
    }

    private static String replaceOnce(String text, String from, String to) {
        int at = text.indexOf(from);
        if (at < 0 || text.indexOf(from, at + 1) >= 0) {
            throw new IllegalStateException("the test's edit '" + from + "' must match exactly once");
        }
        return text.replace(from, to);
    }

    private static String edited(String text, Consumer<ObjectNode> change) {
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(text);
            change.accept(root);
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ArrayNode rows(ObjectNode root, String field) {
        return (ArrayNode) root.get(field);
    }

    private static ObjectNode target(ObjectNode root, int k) {
        return (ObjectNode) root.get("targets").get(k);
    }

    private static ArrayNode pair(int j, int i) {
        return MAPPER.createArrayNode().add(j).add(i);
    }

    private static ArrayNode pairs(int[]... members) {
        ArrayNode group = MAPPER.createArrayNode();
        for (int[] m : members) {
            group.add(pair(m[0], m[1]));
        }
        return group;
    }

    private static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
