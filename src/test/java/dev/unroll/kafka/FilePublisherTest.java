package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class FilePublisherTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theKeyIsTheTopLevelKeyFieldWhereverItStands() {
        assertArrayEquals(utf8("pump-1"), FilePublisher.keyOf("{\"key\":\"pump-1\",\"steps\":2}", "key"));
        assertArrayEquals(utf8("valve/ü"), FilePublisher.keyOf(
                "{\"id\":\"a\",\"inputs\":[[1,0],[0,1]],\"targets\":[{\"t\":1,\"key\":\"inner\"}],\"key\":\"valve/ü\"}", "key"));
        assertArrayEquals(utf8("17"), FilePublisher.keyOf("{\"time\":5,\"device\":17}", "device"));
    }

    @Test
    void aLineWithNoTextOrWholeNumberKeyHasNone() {
        assertNull(FilePublisher.keyOf("{\"id\":\"a\",\"steps\":2}", "key"));
        assertNull(FilePublisher.keyOf("{\"key\":7.5}", "key"));
        assertNull(FilePublisher.keyOf("{\"key\":null}", "key"));
        assertNull(FilePublisher.keyOf("[\"key\",\"a\"]", "key"));
        assertNull(FilePublisher.keyOf("not json", "key"));
        assertNull(FilePublisher.keyOf("", "key"));
    }
}
