package dev.unroll.stream;

import dev.unroll.model.ModelException;
import dev.unroll.record.RawRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A record's value as text, or why it cannot be read as one: the checks every operator that
 * parses records (training's decoder, the prediction operators) makes before parsing; and the
 * parse itself, with every failure a reason for the dead letters.
 */
final class RecordText {
    /** A record that is not text to parse; the message names the record and the reason. */
    static final class Unreadable extends Exception {
        Unreadable(String reason) {
            super(reason, null, false, false);
        }
    }

    /** What reading a record gave: its value, or the reason it goes to the dead letters. */
    record Parsed<T>(T value, String problem) {
    }

    /** Parses a record's text, turning every way it can fail into a dead letter's reason; never throws. */
    interface Parser<T> {
        T parse(String text) throws ModelException;
    }

    private RecordText() {
    }

    static <T> Parsed<T> parse(RawRecord record, int maxBytes, Parser<T> parser) {
        try {
            return new Parsed<>(parser.parse(of(record, maxBytes)), null);
        } catch (Unreadable | ModelException e) {
            return new Parsed<>(null, e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            return new Parsed<>(null, record.origin() + ": cannot be read: " + e);
        }
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
        // the JDK's own decoding is several times faster than a CharsetDecoder made for each record, and
        // replaces malformed input by U+FFFD: text without one was valid, text with one is checked strictly
        String text = new String(record.value, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') < 0) {
            return text;
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
