package dev.unroll.stream;

import dev.unroll.record.RawRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A record's value as text, or why it cannot be read as one: the checks every operator that
 * parses records (training's decoder, the prediction operator) makes before parsing.
 */
final class RecordText {
    /** A record that is not text to parse; the message names the record and the reason. */
    static final class Unreadable extends Exception {
        Unreadable(String reason) {
            super(reason, null, false, false);
        }
    }

    private RecordText() {
    }

    static String of(RawRecord record, int maxBytes) throws Unreadable {
        if (record.value == null) {
            throw new Unreadable(record.origin() + ": empty record (no value)");
        }
        if (record.value.length == 0) {
            throw new Unreadable(record.origin() + ": empty record");
        }
        if (record.value.length > maxBytes) {
            throw new Unreadable(record.origin() + ": record of " + record.value.length
                    + " bytes exceeds limits.maxRecordBytes " + maxBytes);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(record.value)).toString();
        } catch (CharacterCodingException e) {
            throw new Unreadable(record.origin() + ": not UTF-8 text");
        }
    }
}
