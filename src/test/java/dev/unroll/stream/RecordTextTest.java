package dev.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.record.RawRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class RecordTextTest {
    private static RawRecord record(byte[] value) {
        return new RawRecord("t", 0, 7, null, value);
    }

    @Test
    void utf8TextIsReadAsItIs() throws Exception {
        for (String text : new String[] {"{\"id\":\"a\"}", "{\"key\":\"valve/ü\"}", "{\"note\":\"\uFFFD stands in the text itself\"}"}) {
            assertEquals(text, RecordText.of(record(text.getBytes(StandardCharsets.UTF_8)), 1000));
        }
    }

    @Test
    void malformedUtf8IsRefusedNotReplaced() {
        byte[][] malformed = {
                {'{', (byte) 0xC3, 0x28, '}'},             // a lead byte without its continuation
                {'{', (byte) 0xC0, (byte) 0xAF, '}'},      // an overlong '/'
                {'{', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '}'}, // a surrogate, encoded
                {'{', (byte) 0xFF, '}'},
        };
        for (byte[] value : malformed) {
            RecordText.Unreadable e = assertThrows(RecordText.Unreadable.class, () -> RecordText.of(record(value), 1000));
            assertEquals("t/0@7: not UTF-8 text", e.getMessage());
        }
    }
}
