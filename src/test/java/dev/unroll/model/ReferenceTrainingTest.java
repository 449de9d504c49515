package dev.unroll.model;

import static dev.unroll.model.TestSupport.assertMatrix;
import static dev.unroll.model.TestSupport.assertVector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.unroll.format.NetworkJson;

/**
 * Every reference training run of {@code training/cases.txt} and {@code staleness/cases.txt} of the
 * reference examples (the latter with {@code training.staleness} 1 to 3), through the real
 * {@code train} command into a fresh file: the final weights, biases and initial states within
 * 1e-9 relative of the independent program's, and the network's structure unchanged.
 */
class ReferenceTrainingTest {
    static Stream<Named<Path>> cases() {
        return Stream.of("training", "staleness").flatMap(kind -> TestSupport.cases(kind).stream())
                .map(p -> Named.of(p.getFileName().toString(), p));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainCommandMatchesTheReference(Path dir, @TempDir Path tmp) {
        Path job = dir.resolve("job.yaml");
        Path data = dir.resolve("data.jsonl");
        Path expectedFile = dir.resolve("expected.json");
        assertTrue(Files.isRegularFile(job) && Files.isRegularFile(data) && Files.isRegularFile(expectedFile),
                dir + " must hold job.yaml, data.jsonl and expected.json");
        Path out = tmp.resolve("sub/dir/params.json");

        TestSupport.Result r = TestSupport.run("train", "--job", job.toString(), "--data", data.toString(),
                "--out", out.toString(), "--quiet");
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("", r.err(), "--quiet must keep stderr empty");
        assertTrue(Files.isRegularFile(out), "train wrote no " + out);

        int n = TestSupport.units(dir.resolve("network.json"));
        JsonNode got = TestSupport.json(out);
        JsonNode expected = TestSupport.json(expectedFile);
        assertEquals(n, got.get("units").intValue(), "units");
        assertMatrix(expected.get("weights"), got.get("weights"), n, "weights");
        assertVector(expected.get("biases"), got.get("biases"), n, "biases");
        assertVector(expected.get("initialState"), got.get("initialState"), n, "initialState");

        // the output is a valid network of the same structure, and training moved it
        Network initial = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
        Network trained = NetworkJson.read(out, Limits.DEFAULT);
        assertTrue(initial.sameStructure(trained), "train changed the network's structure");
        assertTrue(!initial.parameters().equals(trained.parameters()), "train left the parameters unchanged");
        JsonNode provenance = got.get("provenance");
        assertTrue(provenance != null && provenance.isObject(), "the written network says where it came from");
        long lines;
        try (var s = Files.lines(data)) {
            lines = s.filter(l -> !l.isBlank()).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(lines, provenance.get("sequencesTrained").longValue(), "sequencesTrained");
    }
}
