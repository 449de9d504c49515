package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The record key a recorded line is published with: its top-level {@code key} string, else none. */
class FilePublisherTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aLinesKeyFieldIsItsRecordKey() {
        assertArrayEquals(utf8("device-00017"), FilePublisher.sequenceKey("{\"id\":\"a\",\"key\":\"device-00017\",\"steps\":1,\"targets\":[]}"));
        assertArrayEquals(utf8("pompe/é"), FilePublisher.sequenceKey("{\"steps\":1,\"inputs\":[[1],[2]],\"key\":\"pompe/\\u00e9\"}"),
                "found after nested values, JSON escapes decoded");
        assertArrayEquals(utf8("top"), FilePublisher.sequenceKey("{\"initial\":{\"key\":\"inner\"},\"key\":\"top\"}"),
                "a key inside another field is not the sequence's");
    }

    @Test
    void otherwiseNone() {
        assertNull(FilePublisher.sequenceKey("{\"id\":\"a\",\"steps\":1,\"targets\":[]}"));
        assertNull(FilePublisher.sequenceKey("{\"key\":17}"), "not a string: the decoder will say so");
        assertNull(FilePublisher.sequenceKey("[\"key\",\"x\"]"));
        assertNull(FilePublisher.sequenceKey("not json"));
        assertNull(FilePublisher.sequenceKey("{\"id\":\"a\",\"steps\":"), "truncated before any key");
        assertNull(FilePublisher.sequenceKey(""));
    }
}
