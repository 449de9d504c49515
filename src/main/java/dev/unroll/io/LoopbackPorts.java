package dev.unroll.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports on 127.0.0.1, where everything the embedded default starts listens. */
public final class LoopbackPorts {
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

    /** A port that was free a moment ago (bound, noted and closed). */
    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback interface", e);
        }
    }

    /**
     * A port that was free a moment ago and is not {@code other}: two calls to {@link #free()} in a
     * row may return the same port, as the first is closed before the second is bound.
     */
    public static int freeOtherThan(int other) {
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
