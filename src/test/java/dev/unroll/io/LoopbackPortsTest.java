package dev.unroll.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ports for listeners that bind them later: never one an outgoing connection may take meanwhile. */
class LoopbackPortsTest {
    @Test
    void freePortsComeFromBelowTheEphemeralRangeAndCanBeBound() throws IOException {
        for (int k = 0; k < 20; k++) {
            int port = LoopbackPorts.free();
            assertTrue(port >= LoopbackPorts.LOW && port < LoopbackPorts.HIGH, "port " + port);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertTrue(s.isBound());
            }
        }
    }

    @Test
    void aPortInUseIsNotFree() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertFalse(LoopbackPorts.isFree(s.getLocalPort()));
            assertNotEquals(s.getLocalPort(), LoopbackPorts.wantedOrFree(s.getLocalPort()));
        }
    }
}
