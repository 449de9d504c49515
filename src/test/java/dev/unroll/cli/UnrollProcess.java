package dev.unroll.cli;

import dev.unroll.launch.LocalFlink;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An {@code unroll} command in a JVM of its own, for tests where the process itself is killed. */
final class UnrollProcess {
    private UnrollProcess() {
    }

    /** Starts {@code unroll ARGS} with this JVM's classpath and module flags; its output goes to {@code log}. */
    static Process start(Path log, String... args) throws IOException {
        return builder(args).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** {@code unroll ARGS} with this JVM's classpath and module flags, for the caller to set its environment and output. */
    static ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        // a free dashboard port, as in this JVM: other builds' tests run alongside (pom.xml)
        String dashboard = System.getProperty(LocalFlink.DASHBOARD_PORT_PROPERTY);
        if (dashboard != null) {
            cmd.add("-D" + LocalFlink.DASHBOARD_PORT_PROPERTY + "=" + dashboard);
        }
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports")).forEach(cmd::add);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
