package dev.unroll;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Programs outside the JVM that some tests drive (kcat, curl). A developer's machine may lack
 * them, and then those tests are skipped, saying why. In CI (the environment variable {@code CI}
 * set, as {@code .ci/run} does) a missing tool fails the test instead, so a skip cannot hide
 * there.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    /** Returns {@code tool} if it runs with {@code versionFlag}; otherwise skips the test, or fails it in CI. */
    public static String require(String tool, String versionFlag) {
        return require(tool, versionFlag, System.getenv(), System.err);
    }

    /** The same with the environment to read and where to say that the test is skipped. */
    static String require(String tool, String versionFlag, Map<String, String> env, PrintStream log) {
        if (runs(tool, versionFlag)) {
            return tool;
        }
        String why = tool + " is not on the PATH (Debian/Ubuntu: apt-get install -y " + tool + ")";
        if (inCi(env)) {
            Assertions.fail(why + "; CI is set, so this test may not be skipped");
        }
        log.println("SKIPPED: " + why + "; .ci/run installs it and then runs this test");
        Assumptions.abort("SKIPPED: " + why + "; outside CI the test is skipped");
        return null;
    }

    /** Whether the environment says this is a CI run: {@code CI} set to anything but empty or false. */
    static boolean inCi(Map<String, String> env) {
        String ci = env.get("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
    }

    private static boolean runs(String tool, String versionFlag) {
        try {
            Process p = new ProcessBuilder(tool, versionFlag).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
