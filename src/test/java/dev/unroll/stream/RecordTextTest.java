package dev.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.unroll.format.NetworkJson;
import dev.unroll.format.SequenceAvro;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.RawRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

class RecordTextTest {
    private static final Network NET = NetworkJson.parse("{\"units\": 2, \"weights\": [[0,0],[0,0]], \"biases\": [0,0],"
            + " \"initialState\": [0.5,0.5]}", "net", Limits.DEFAULT);

    private static RawRecord record(byte[] value) {
        return new RawRecord("t", 0, 7, null, value);
    }

    private static RecordText.Parsed<Sequence> parse(byte[] value) {
        return RecordText.parseSequence(record(value), 1000, NET, Limits.DEFAULT, false, seq -> seq);
    }

    @Test
    void utf8TextIsReadAsItIs() {
        for (String id : new String[] {"a", "valve/ü", "\uFFFD stands in the text itself"}) {
            String json = "{\"id\":" + dev.unroll.format.Json.write(id) + ",\"steps\":1,\"targets\":[]}";
            RecordText.Parsed<Sequence> parsed = parse(json.getBytes(StandardCharsets.UTF_8));
            assertNull(parsed.problem());
            assertEquals(id, parsed.value().id());
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
            assertEquals("t/0@7: not UTF-8 text", parse(value).problem());
        }
    }

    @Test
    void eitherFormatIsReadByItsFirstBytes() {
        Sequence seq = new Sequence("s", "k", 2, null, null, null, 0,
                List.of(new Sequence.Target(2, new int[] {1}, new double[] {0.25})));
        for (byte[] value : List.of(SequenceAvro.write(seq), SequenceJson.write(seq).getBytes(StandardCharsets.UTF_8))) {
            RecordText.Parsed<Sequence> parsed = parse(value);
            assertNull(parsed.problem());
            assertEquals("k", parsed.value().key());
            assertEquals(0.25, parsed.value().targets().get(0).values()[0]);
        }
        assertEquals("t/0@7: record of 1001 bytes exceeds limits.maxRecordBytes 1000", parse(new byte[1001]).problem());
        assertEquals("t/0@7: empty record", parse(new byte[0]).problem());
        assertEquals("t/0@7: empty record (no value)", parse(null).problem());
    }
}
