package dev.unroll.format;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

/**
 * The record formats of the sequences (and requests) topic: JSON text ({@link SequenceJson}) or
 * single-object Avro ({@link SequenceAvro}). {@code stream.sequenceFormat} picks the one the
 * commands write; readers take either, told apart by the record's first two bytes.
 */
public enum SequenceFormat {
    JSON, AVRO;

    /** The format named {@code name} (case-insensitive), or null when there is none. */
    public static SequenceFormat named(String name) {
        for (SequenceFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }

    /** The format a record's value is in: Avro when it carries the single-object marker, else JSON. */
    public static SequenceFormat of(byte[] value) {
        return SequenceAvro.isSingleObject(value) ? AVRO : JSON;
    }

    /** The record value of {@code seq} in this format. */
    public byte[] write(Sequence seq) {
        return this == AVRO ? SequenceAvro.write(seq) : SequenceJson.write(seq).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The record for one line of a {@code .jsonl} file: the line itself in JSON; in Avro the line's
     * sequence, or the line itself when it is not a valid sequence, so that the job dead-letters it
     * with the reason the JSON parser gives.
     */
    public byte[] recordOf(String line, Network net, Limits limits) {
        if (this == AVRO) {
            try {
                return SequenceAvro.write(SequenceJson.parse(line, "line", net, limits));
            } catch (ModelException e) {
                // falls through: the job reads JSON too
            }
        }
        return line.getBytes(StandardCharsets.UTF_8);
    }

    /** The name job files use. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
