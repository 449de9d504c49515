package dev.unroll.stream;

import dev.unroll.format.SequenceAvro;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.RawRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A record read, or why it cannot be: the checks every operator that parses records (training's
 * decoder, the prediction operators, the events source) makes before parsing; and the parse
 * itself (a sequence in either format, single-object Avro by its marker and JSON text otherwise,
 * or an event in either), with every failure a reason for the dead letters.
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

    /** What an operator makes of a valid sequence (a prediction, the sequence with its model's key). */
    interface SequenceUse<T> {
        T apply(Sequence seq) throws ModelException;
    }

    private RecordText() {
    }

    /** Reads a record's JSON text into a value (an event); a bad one throws with the reason. */
    interface TextParser<T> {
        T parse(String text) throws ModelException;
    }

    private interface Reader<T> {
        T read(byte[] value) throws Unreadable, ModelException;
    }

    /**
     * Reads a sequence record, Avro or JSON, validated against {@code net}, and hands it to
     * {@code use}; never throws. A JSON sequence to predict ({@code request}) may leave its
     * targets out; an Avro one has an empty list.
     */
    static <T> Parsed<T> parseSequence(RawRecord record, int maxBytes, Network net, Limits limits, boolean request,
                                       SequenceUse<T> use) {
        return read(record, maxBytes, value -> use.apply(
                SequenceAvro.isSingleObject(value) ? SequenceAvro.read(value, record.origin(), net, limits)
                        : request ? SequenceJson.parseRequest(text(record, value), record.origin(), net, limits)
                        : SequenceJson.parse(text(record, value), record.origin(), net, limits)));
    }

    /** Reads a record's bytes into a value (an Avro event); a bad one throws with the reason. */
    interface BytesParser<T> {
        T parse(byte[] value) throws ModelException;
    }

    /** Reads a record's bytes with {@code parser}, after the same checks as text; never throws. */
    static <T> Parsed<T> parseBytes(RawRecord record, int maxBytes, BytesParser<T> parser) {
        return read(record, maxBytes, parser::parse);
    }

    /** Reads a record of JSON text with {@code parser}; never throws. */
    static <T> Parsed<T> parseText(RawRecord record, int maxBytes, TextParser<T> parser) {
        return read(record, maxBytes, value -> parser.parse(text(record, value)));
    }

    private static <T> Parsed<T> read(RawRecord record, int maxBytes, Reader<T> reader) {
        try {
            return new Parsed<>(reader.read(checked(record, maxBytes)), null);
        } catch (Unreadable | ModelException e) {
            return new Parsed<>(null, e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            return new Parsed<>(null, record.origin() + ": cannot be read: " + e);
        }
    }

    /** The record's value, unless it is missing, empty or over {@code maxBytes}. */
    private static byte[] checked(RawRecord record, int maxBytes) throws Unreadable {
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
        return record.value;
    }

    private static String text(RawRecord record, byte[] value) throws Unreadable {
        // the JDK's own decoding is several times faster than a CharsetDecoder made for each record, and
        // replaces malformed input by U+FFFD: text without one was valid, text with one is checked strictly
        String text = new String(value, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') < 0) {
            return text;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            throw new Unreadable(record.origin() + ": not UTF-8 text");
        }
    }
}
