package dev.unroll.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Shared by the model and command tests: where the reference examples live, running the real
 * command line in-process with its output captured, and the reference tolerance.
 */
public final class TestSupport {
    /** The examples' tolerance: |got - expected| <= 1e-9 * max(1, |expected|). */
    public static final double REFERENCE_TOLERANCE = 1e-9;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Object CONSOLE = new Object();

    private TestSupport() {
    }

    /**
     * The reference examples, copied into the test resources: worked gradients, training runs,
     * staleness runs, per-key runs and predictions computed by an independent implementation of
     * {@code docs/model.md}. A missing folder fails the test: the reference cases are never skipped.
     */
    public static Path examples() {
        Path dir = Path.of("src", "test", "resources", "reference").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("gradients/cases.txt")) || !Files.isRegularFile(dir.resolve("training/cases.txt"))) {
            throw new AssertionError("the reference examples are missing: " + dir);
        }
        return dir;
    }

    /** The case folders listed in {@code KIND/cases.txt}, each checked to exist. */
    public static List<Path> cases(String kind) {
        Path dir = examples().resolve(kind);
        List<String> names;
        try {
            names = Files.readAllLines(dir.resolve("cases.txt"), StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (names.isEmpty()) {
            throw new AssertionError(dir.resolve("cases.txt") + " lists no cases");
        }
        for (String name : names) {
            if (!Files.isDirectory(dir.resolve(name))) {
                throw new AssertionError(dir.resolve("cases.txt") + " lists " + name + " but there is no such folder");
            }
        }
        return names.stream().map(dir::resolve).toList();
    }

    /** What a command line printed and returned. */
    public record Result(int exitCode, String out, String err) {
        public String describe() {
            return "exit " + exitCode + "\n--- stdout ---\n" + abbreviate(out) + "\n--- stderr ---\n" + abbreviate(err);
        }

        private static String abbreviate(String s) {
            return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
        }
    }

    /** Runs {@link Main#run} in this JVM with System.out and System.err captured. */
    public static Result run(String... args) {
        synchronized (CONSOLE) {
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                 PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                System.setOut(o);
                System.setErr(e);
                code = Main.run(args);
                o.flush();
                e.flush();
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    public static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not valid JSON: " + e.getMessage() + "\n" + text, e);
        }
    }

    public static JsonNode json(Path file) {
        try {
            return json(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean close(double got, double expected, double relative) {
        return Math.abs(got - expected) <= relative * Math.max(1.0, Math.abs(expected));
    }

    /** A number compared at the reference tolerance. */
    public static void assertNumber(JsonNode expected, JsonNode got, String field) {
        assertTrue(expected != null && expected.isNumber(), field + ": the expected file has no number here");
        assertTrue(got != null && got.isNumber(), field + ": expected a number, got " + got);
        double e = expected.doubleValue();
        double g = got.doubleValue();
        assertTrue(close(g, e, REFERENCE_TOLERANCE), field + ": got " + g + ", expected " + e
                + " (difference " + Math.abs(g - e) + ")");
    }

    /** A vector of n numbers compared entry by entry, with its length checked. */
    public static void assertVector(JsonNode expected, JsonNode got, int n, String field) {
        assertTrue(expected != null && expected.isArray() && expected.size() == n,
                field + ": the expected file does not hold " + n + " numbers");
        assertTrue(got != null && got.isArray(), field + ": expected a list, got " + got);
        assertEquals(n, got.size(), field + ": wrong length");
        for (int k = 0; k < n; k++) {
            assertNumber(expected.get(k), got.get(k), field + "[" + k + "]");
        }
    }

    /** An n x n matrix compared entry by entry, with its shape checked. */
    public static void assertMatrix(JsonNode expected, JsonNode got, int n, String field) {
        assertTrue(expected != null && expected.isArray() && expected.size() == n,
                field + ": the expected file does not hold " + n + " rows");
        assertTrue(got != null && got.isArray(), field + ": expected a list of rows, got " + got);
        assertEquals(n, got.size(), field + ": wrong number of rows");
        for (int j = 0; j < n; j++) {
            assertVector(expected.get(j), got.get(j), n, field + "[" + j + "]");
        }
    }

    /** The learned numbers (weights, biases, initial states) of two network documents, at the reference tolerance. */
    public static void assertSameParameters(JsonNode expected, JsonNode got) {
        int n = expected.get("weights").size();
        assertMatrix(expected.get("weights"), got.get("weights"), n, "weights");
        assertVector(expected.get("biases"), got.get("biases"), n, "biases");
        assertVector(expected.get("initialState"), got.get("initialState"), n, "initialState");
    }

    /**
     * Two per-key parameters files (JSON lines sorted by key): the same keys in the same order,
     * each key's network at the reference tolerance, and the same sequencesTrained where both say.
     */
    public static void assertSameKeyedParameters(Path expected, Path got) {
        List<String> e = lines(expected);
        List<String> g = lines(got);
        assertEquals(e.stream().map(l -> json(l).get("key").textValue()).toList(),
                g.stream().map(l -> json(l).get("key").textValue()).toList(), "the keys, in order");
        for (int k = 0; k < e.size(); k++) {
            JsonNode a = json(e.get(k));
            JsonNode b = json(g.get(k));
            if (a.has("sequencesTrained") && b.has("sequencesTrained")) {
                assertEquals(a.get("sequencesTrained").longValue(), b.get("sequencesTrained").longValue(),
                        a.get("key") + ": sequencesTrained");
            }
            assertSameParameters(a.get("network"), b.get("network"));
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The number of units of a network file. */
    public static int units(Path networkFile) {
        JsonNode units = json(networkFile).get("units");
        if (units == null || !units.canConvertToInt()) {
            fail(networkFile + " has no units");
        }
        return units.intValue();
    }
}
