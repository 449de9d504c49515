package dev.unroll.cli;

import dev.unroll.io.LoopbackPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command that talks to Kafka, given servers where nothing listens: it says so naming the
 * servers, exits 2, and its JVM ends (nothing left hanging). Each command runs as its own process,
 * as a user runs it; the four start together, since each mostly waits for the broker that never answers.
 */
class UnreachableKafkaTest {
    /** The commands wait 8 s for a broker; the rest is a JVM starting, on a machine that may be busy. */
    private static final long EXIT_WITHIN_SECONDS = 45;
    private static final Path JOB = Path.of("jobs", "binary-addition.yaml");

    @TempDir
    static Path dir;

    private static String servers;
    private static final Map<String, Launched> launched = new LinkedHashMap<>();

    private record Launched(Process process, Path err, long startedNanos) {
    }

    @BeforeAll
    static void launchEveryCommand() throws IOException {
        servers = "127.0.0.1:" + LoopbackPorts.free();
        String job = JOB.toString();
        launch("run", "run", "--job", job, "--bootstrap-servers", servers, "--state-dir", dir.resolve("state").toString());
        launch("replay", "replay", "--job", job, "--bootstrap-servers", servers, "--topic", "unroll.nowhere",
                "--out", dir.resolve("replay.json").toString());
        launch("produce", "produce", "--job", job, "--bootstrap-servers", servers, "--count", "1000");
        launch("plot", "plot", "--job", job, "--bootstrap-servers", servers, "--out", dir.resolve("plot.png").toString());
    }

    @AfterAll
    static void stopLeftovers() {
        launched.values().forEach(l -> l.process().destroyForcibly());
    }

    @Test
    void run() throws Exception {
        assertSaysUnreachableAndExits("run");
    }

    @Test
    void replayFromATopic() throws Exception {
        assertSaysUnreachableAndExits("replay");
        assertTrue(Files.notExists(dir.resolve("replay.json")), "replay wrote parameters");
    }

    @Test
    void produceToATopic() throws Exception {
        assertSaysUnreachableAndExits("produce");
    }

    @Test
    void plotFromATopic() throws Exception {
        assertSaysUnreachableAndExits("plot");
        assertTrue(Files.notExists(dir.resolve("plot.png")), "plot drew a picture");
    }

    private static void assertSaysUnreachableAndExits(String name) throws Exception {
        Launched l = launched.get(name);
        boolean exited = l.process().waitFor(EXIT_WITHIN_SECONDS, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - l.startedNanos()) / 1e9;
        String err = Files.readString(l.err(), StandardCharsets.UTF_8);
        assertTrue(exited, name + " still running after " + EXIT_WITHIN_SECONDS + " s; stderr:\n" + err);
        assertEquals(Main.BAD_INPUT, l.process().exitValue(), name + " exit code; stderr:\n" + err);
        List<String> lines = err.strip().lines().toList();
        assertEquals("unroll " + name + ": cannot reach Kafka at " + servers + ": no broker answered within 8 s",
                lines.isEmpty() ? "" : lines.get(lines.size() - 1), name + ": the error is the last word; stderr:\n" + err);
        System.err.printf("%s: exit %d after %.1f s (JVM start included)%n", name, l.process().exitValue(), seconds);
    }

    private static void launch(String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaCommand(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(err.toFile()).start();
        launched.put(name, new Launched(p, err, System.nanoTime()));
    }

    private static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

}
