package dev.unroll.model;

import static dev.unroll.model.TestSupport.assertMatrix;
import static dev.unroll.model.TestSupport.assertNumber;
import static dev.unroll.model.TestSupport.assertVector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reference gradient case of {@code gradients/cases.txt} of the reference examples, through the real
 * {@code gradient} command: loss, weights, biases and initial states within 1e-9 relative of the
 * independent program's values, shapes included.
 */
class ReferenceGradientsTest {
    static List<Path> cases() {
        return TestSupport.cases("gradients");
    }

    static Stream<Named<Path>> named() {
        return cases().stream().map(p -> Named.of(p.getFileName().toString(), p));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("named")
    void gradientCommandMatchesTheReference(Path dir) {
        Path network = dir.resolve("network.json");
        Path sequence = dir.resolve("sequence.json");
        Path expectedFile = dir.resolve("expected.json");
        assertTrue(Files.isRegularFile(network) && Files.isRegularFile(sequence) && Files.isRegularFile(expectedFile),
                dir + " must hold network.json, sequence.json and expected.json");

        TestSupport.Result r = TestSupport.run("gradient", "--network", network.toString(), "--sequence", sequence.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.err(), "gradient printed on stderr");
        assertEquals(1, r.out().strip().lines().count(), "the gradient is one line of JSON");

        int n = TestSupport.units(network);
        JsonNode got = TestSupport.json(r.out());
        JsonNode expected = TestSupport.json(expectedFile);
        Set<String> fields = new TreeSet<>();
        got.fieldNames().forEachRemaining(fields::add);
        assertEquals(new TreeSet<>(Set.of("loss", "weights", "biases", "initialState")), fields, "output fields");

        assertNumber(expected.get("loss"), got.get("loss"), "loss");
        assertMatrix(expected.get("weights"), got.get("weights"), n, "weights");
        assertVector(expected.get("biases"), got.get("biases"), n, "biases");
        assertVector(expected.get("initialState"), got.get("initialState"), n, "initialState");
    }

    /** The comparison itself must be able to fail: a changed expected value is caught. */
    @Test
    void theComparisonNoticesADifference() {
        Path dir = cases().get(0);
        JsonNode expected = TestSupport.json(dir.resolve("expected.json"));
        double loss = expected.get("loss").doubleValue();
        JsonNode off = TestSupport.json(Double.toString(loss + 1e-8 * Math.max(1.0, Math.abs(loss)) * 2));
        JsonNode near = TestSupport.json(Double.toString(loss + 1e-10 * Math.max(1.0, Math.abs(loss))));
        assertNumber(expected.get("loss"), near, "loss");
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> assertNumber(expected.get("loss"), off, "loss"));
        assertTrue(e.getMessage().contains("loss"));
    }
}
