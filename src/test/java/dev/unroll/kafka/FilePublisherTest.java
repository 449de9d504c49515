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
        assertArrayEquals(utf8("pump-1"), FilePublisher.keyOf("{\"key\":\"pump-1\",\"steps\":2}"));
        assertArrayEquals(utf8("valve/ü"), FilePublisher.keyOf(
                "{\"id\":\"a\",\"inputs\":[[1,0],[0,1]],\"targets\":[{\"t\":1,\"key\":\"inner\"}],\"key\":\"valve/ü\"}"));
    }

    @Test
    void aLineWithNoTextKeyHasNone() {
        assertNull(FilePublisher.keyOf("{\"id\":\"a\",\"steps\":2}"));
        assertNull(FilePublisher.keyOf("{\"key\":7}"));
        assertNull(FilePublisher.keyOf("{\"key\":null}"));
        assertNull(FilePublisher.keyOf("[\"key\",\"a\"]"));
        assertNull(FilePublisher.keyOf("not json"));
        assertNull(FilePublisher.keyOf(""));
    }
}
