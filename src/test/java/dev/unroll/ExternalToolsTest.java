package dev.unroll;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExternalToolsTest {
    private static final String MISSING = "unroll-no-such-tool-" + ProcessHandle.current().pid();
    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(said, true, StandardCharsets.UTF_8);

    @Test
    void aMissingToolSkipsOutsideCi() {
        TestAbortedException e = assertThrows(TestAbortedException.class,
                () -> ExternalTools.require(MISSING, "-V", Map.of(), log));
        assertTrue(e.getMessage().contains(MISSING + " is not on the PATH"), e.getMessage());
        assertTrue(said.toString(StandardCharsets.UTF_8).startsWith("SKIPPED: " + MISSING + " is not on the PATH"), said.toString());
    }

    @Test
    void aMissingToolFailsInCi() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ExternalTools.require(MISSING, "-V", Map.of("CI", "true"), log));
        assertTrue(e.getMessage().contains("may not be skipped"), e.getMessage());
    }

    @Test
    void aToolThatRunsIsReturnedInAndOutsideCi() {
        // the JVM running this test is a program that surely runs
        String java = ProcessHandle.current().info().command().orElseThrow();
        assertEquals(java, ExternalTools.require(java, "-version", Map.of("CI", "true"), log));
        assertEquals(java, ExternalTools.require(java, "-version", Map.of(), log));
    }

    @Test
    void ciMeansSetAndNotFalse() {
        assertTrue(ExternalTools.inCi(Map.of("CI", "true")));
        assertTrue(ExternalTools.inCi(Map.of("CI", "1")));
        assertFalse(ExternalTools.inCi(Map.of()));
        assertFalse(ExternalTools.inCi(Map.of("CI", "")));
        assertFalse(ExternalTools.inCi(Map.of("CI", "false")));
    }
}
