package dev.unroll.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports on 127.0.0.1, where everything the embedded default starts listens.
 *
 * <p>A port chosen here is bound later by someone else (the broker, Flink's REST endpoint), so it
 * is free only "a moment ago". The operating system hands out the ports of its ephemeral range
 * (Linux: 32768-60999) both to {@code bind(0)} and to every outgoing connection, and reuses a
 * just-closed one at once; in a JVM full of Kafka and Flink clients one of them can take the port
 * before its listener binds it ("Address already in use", seen as "Could not create the
 * DispatcherResourceManagerComponent" in tests run side by side). So free ports are looked for
 * below that range first, where no outgoing connection goes.
 */
public final class LoopbackPorts {
    /** Below Linux's default ephemeral range (and those of macOS and Windows, which start at 49152). */
    static final int LOW = 20_000;
    static final int HIGH = 32_768;
    private static final int TRIES = 64;

    private LoopbackPorts() {
    }

    /** Whether nothing listens on {@code port} now. */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port that was free a moment ago, outside the ephemeral range when one there is free. */
    public static int free() {
        return freeOtherThan(-1);
    }

    /** The same, and not {@code other} (a port chosen a moment ago and not bound yet). */
    public static int freeOtherThan(int other) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int k = 0; k < TRIES; k++) {
            int port = random.nextInt(LOW, HIGH);
            if (port != other && isFree(port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort() != other ? s.getLocalPort() : t.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback interface", e);
        }
    }

    /** {@code wanted} if it is free, else a free one. */
    public static int wantedOrFree(int wanted) {
        return isFree(wanted) ? wanted : free();
    }
}
