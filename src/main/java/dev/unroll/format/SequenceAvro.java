package dev.unroll.format;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

/**
 * The binary sequence record: the Avro schema {@value #SCHEMA_RESOURCE} in Avro's single-object
 * encoding (0xC3 0x01, the schema's 8-byte CRC-64-AVRO fingerprint, little-endian, then the
 * record), so that a record names the schema it was written with.
 *
 * <p>Reading builds no record tree: it walks the bytes once, straight into the arrays a
 * {@link Sequence} holds, and checks each value against the job's network as it goes, with the
 * rules and messages of {@link SequenceJson} (the same field paths, such as {@code targets[2].t}).
 * Every count is checked against the bytes left before anything is allocated, so a short record
 * cannot claim a large array; bad bytes end in a {@link ModelException}, never another exception.
 */
public final class SequenceAvro {
    /** Where the schema is, on the class path and under src/main/resources. */
    public static final String SCHEMA_RESOURCE = "dev/unroll/format/sequence.avsc";
    public static final Schema SCHEMA = load();
    /** CRC-64-AVRO of the schema's Parsing Canonical Form, as the single-object header carries it. */
    public static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(SCHEMA);

    private static final int HEADER_BYTES = 10;
    private static final byte[] HEADER = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 0xC3).put((byte) 0x01).putLong(FINGERPRINT).array();
    private static final VarHandle DOUBLE_LE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private SequenceAvro() {
    }

    private static Schema load() {
        try (InputStream in = SequenceAvro.class.getClassLoader().getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SCHEMA_RESOURCE + " is missing from the class path");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True when {@code value} starts with the single-object marker. No JSON text does: its first
     * byte is whitespace or one of {@code { [ " - 0-9 t f n}, and 0xC3 is none of them.
     */
    public static boolean isSingleObject(byte[] value) {
        return value != null && value.length >= 2 && value[0] == (byte) 0xC3 && value[1] == 0x01;
    }

    /** The record of {@code seq}, header included. */
    public static byte[] write(Sequence seq) {
        int width = seq.hasInputs() ? seq.inputWidth() : 0;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + seq.steps() * (2 + 8 * width) + 16 * seq.targetTermCount());
        bytes.writeBytes(HEADER);
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        try {
            optionalString(out, seq.id());
            optionalString(out, seq.key());
            out.writeInt(seq.steps());
            if (seq.initialUnits().length == 0) {
                out.writeIndex(0);
            } else {
                out.writeIndex(1);
                ints(out, seq.initialUnits());
                doubles(out, seq.initialValues());
            }
            if (!seq.hasInputs()) {
                out.writeIndex(0);
            } else {
                out.writeIndex(1);
                out.writeArrayStart();
                out.setItemCount(seq.steps());
                double[] row = new double[width];
                for (int t = 0; t < seq.steps(); t++) {
                    out.startItem();
                    for (int k = 0; k < width; k++) {
                        row[k] = seq.input(t, k);
                    }
                    doubles(out, row);
                }
                out.writeArrayEnd();
            }
            out.writeArrayStart();
            out.setItemCount(seq.targets().size());
            for (Sequence.Target target : seq.targets()) {
                out.startItem();
                out.writeInt(target.t());
                ints(out, target.units());
                doubles(out, target.values());
            }
            out.writeArrayEnd();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
        return bytes.toByteArray();
    }

    private static void optionalString(BinaryEncoder out, String s) throws IOException {
        if (s == null) {
            out.writeIndex(0);
        } else {
            out.writeIndex(1);
            out.writeString(s);
        }
    }

    private static void ints(BinaryEncoder out, int[] values) throws IOException {
        out.writeArrayStart();
        out.setItemCount(values.length);
        for (int v : values) {
            out.startItem();
            out.writeInt(v);
        }
        out.writeArrayEnd();
    }

    private static void doubles(BinaryEncoder out, double[] values) throws IOException {
        out.writeArrayStart();
        out.setItemCount(values.length);
        for (double v : values) {
            out.startItem();
            out.writeDouble(v);
        }
        out.writeArrayEnd();
    }

    /**
     * Reads and validates one record against the network it will train or predict with; a
     * sequence to predict has an empty {@code targets}.
     *
     * @throws ModelException naming {@code source}, the field and the reason
     */
    public static Sequence read(byte[] value, String source, Network net, Limits limits) {
        In in = new In(value, source);
        if (value.length < HEADER_BYTES || !isSingleObject(value)) {
            throw in.fail("", "not a single-object Avro record (0xC3 0x01 and an 8-byte schema fingerprint)");
        }
        long fingerprint = (long) LONG_LE.get(value, 2);
        if (fingerprint != FINGERPRINT) {
            throw in.fail("", String.format("written with the Avro schema of fingerprint %016x, not %s (%016x)",
                    fingerprint, SCHEMA_RESOURCE, FINGERPRINT));
        }
        in.pos = HEADER_BYTES;
        int n = net.units();
        int width = net.inputCount();

        in.at = "id";
        String id = in.optionalString("id");
        in.at = "key";
        String key = in.optionalString("key");
        if (key != null && SequenceJson.keyProblem(key) != null) {
            throw in.fail("key", SequenceJson.keyProblem(key));
        }
        in.at = "steps";
        int steps = in.integer("steps", -1, "");
        if (steps < 1) {
            throw in.fail("steps", "must be at least 1, found " + steps);
        }
        if (steps > limits.maxSteps()) {
            throw in.fail("steps", steps + " exceeds the limit of " + limits.maxSteps() + " steps");
        }

        in.at = "initial";
        int[] initialUnits = null;
        double[] initialValues = null;
        if (in.branch("initial") == 1) {
            initialUnits = in.units("initial.units", -1, "", n);
            boolean[] seen = new boolean[n];
            for (int k = 0; k < initialUnits.length; k++) {
                if (seen[initialUnits[k]]) {
                    throw in.fail("initial.units[" + k + "]", "unit " + initialUnits[k] + " is listed twice");
                }
                seen[initialUnits[k]] = true;
            }
            initialValues = new double[initialUnits.length];
            in.numbers("initial.values", -1, "", initialValues, 0, initialValues.length);
        }

        in.at = "inputs";
        double[] inputs = in.branch("inputs") == 1 ? in.inputs(steps, width) : null;

        in.at = "targets";
        List<Sequence.Target> targets = new ArrayList<>();
        long e = 0;
        for (long block = in.blockCount("targets", -1, "", 3); block > 0; block = in.blockCount("targets", -1, "", 3)) {
            for (long k = 0; k < block; k++, e++) {
                int t = in.integer("targets", e, ".t");
                if (t < 1 || t > steps) {
                    throw in.fail(path("targets", e, ".t"), "time " + t + " is outside 1.." + steps);
                }
                int[] units = in.units("targets", e, ".units", n);
                double[] values = new double[units.length];
                in.numbers("targets", e, ".values", values, 0, values.length);
                targets.add(new Sequence.Target(t, units, values));
            }
        }
        if (in.pos != value.length) {
            throw in.fail("", (value.length - in.pos) + " bytes after the end of the sequence");
        }
        return new Sequence(id, key, steps, initialUnits, initialValues, inputs, width, targets);
    }

    /**
     * A field path, {@code PREFIX[index]SUFFIX} ({@code PREFIX} alone for a negative index), built
     * only when a message names it: a valid record needs none.
     */
    private static String path(String prefix, long index, String suffix) {
        return index < 0 ? prefix + suffix : prefix + "[" + index + "]" + suffix;
    }

    /** A cursor over a record's bytes that fails with the record's source and the field being read. */
    private static final class In {
        final byte[] b;
        final String source;
        int pos;
        /** the top-level field being read, for a record that ends inside it */
        String at = "";

        In(byte[] b, String source) {
            this.b = b;
            this.source = source;
        }

        ModelException fail(String field, String reason) {
            return new ModelException(source, field, reason);
        }

        ModelException truncated() {
            return fail(at, "the record ends inside this field (truncated)");
        }

        int left() {
            return b.length - pos;
        }

        /** A zig-zag variable-length long, as Avro writes int and long. */
        long varlong() {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                if (pos >= b.length) {
                    throw truncated();
                }
                if (shift > 63) {
                    throw fail(at, "a variable-length integer runs over 10 bytes");
                }
                byte x = b[pos++];
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return (v >>> 1) ^ -(v & 1);
                }
            }
        }

        int integer(String prefix, long index, String suffix) {
            long v = varlong();
            if (v != (int) v) {
                throw fail(path(prefix, index, suffix), "is out of range: " + v);
            }
            return (int) v;
        }

        /** The branch of a ["null", X] union: 0 or 1. */
        int branch(String field) {
            long v = varlong();
            if (v != 0 && v != 1) {
                throw fail(field, "union branch " + v + " is not in the schema (0: null, 1: a value)");
            }
            return (int) v;
        }

        String optionalString(String field) {
            if (branch(field) == 0) {
                return null;
            }
            long length = varlong();
            if (length < 0) {
                throw fail(field, "a string of negative length " + length);
            }
            if (length > left()) {
                throw truncated();
            }
            String s = new String(b, pos, (int) length, StandardCharsets.UTF_8);
            // as RecordText: the JDK replaces malformed input by U+FFFD; only then is the text checked strictly
            if (s.indexOf('\uFFFD') >= 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, pos, (int) length));
                } catch (CharacterCodingException e) {
                    throw fail(field, "not UTF-8 text");
                }
            }
            pos += (int) length;
            return s;
        }

        /**
         * The item count of the next block of the array {@code path(prefix, index, suffix)}, 0 at its
         * end. An item takes at least {@code minItemBytes}, so a count that the bytes left cannot hold
         * is a cut record, found before anything is allocated for it. A negative count is followed by
         * the block's size in bytes, which is not needed.
         */
        long blockCount(String prefix, long index, String suffix, int minItemBytes) {
            long count = varlong();
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw fail(path(prefix, index, suffix), "an array block of " + count + " items");
                }
                count = -count;
                varlong();
            }
            if (count > left() / minItemBytes) {
                throw truncated();
            }
            return count;
        }

        /** Unit indices below {@code bound}. */
        int[] units(String prefix, long index, String suffix, int bound) {
            int[] out = null;
            int count = 0;
            for (long block = blockCount(prefix, index, suffix, 1); block > 0; block = blockCount(prefix, index, suffix, 1)) {
                out = out == null ? new int[(int) block] : Arrays.copyOf(out, (int) (count + block));
                for (long k = 0; k < block; k++, count++) {
                    long v = varlong();
                    if (v < 0 || v >= bound) {
                        throw fail(path(prefix, index, suffix) + "[" + count + "]", v != (int) v ? "is out of range: " + v
                                : "unit index " + v + " is out of range 0.." + (bound - 1));
                    }
                    out[count] = (int) v;
                }
            }
            return out == null ? new int[0] : out;
        }

        /** An array of exactly {@code length} finite numbers into {@code out} from {@code at}. */
        void numbers(String prefix, long index, String suffix, double[] out, int at, int length) {
            long found = readNumbers(prefix, index, suffix, out, at, length);
            if (found != length) {
                throw fail(path(prefix, index, suffix), "must have " + length + " entries, found " + found);
            }
        }

        /**
         * Reads an array of finite numbers into {@code out} from {@code at} and returns how many it
         * holds. Once the count passes {@code length} the rest is skipped unread, only counted.
         */
        long readNumbers(String prefix, long index, String suffix, double[] out, int at, int length) {
            long count = 0;
            for (long block = blockCount(prefix, index, suffix, 8); block > 0; block = blockCount(prefix, index, suffix, 8)) {
                if (count + block > length) {
                    pos += 8 * (int) block;
                    count += block;
                    continue;
                }
                for (long k = 0; k < block; k++, count++) {
                    double v = (double) DOUBLE_LE.get(b, pos);
                    pos += 8;
                    if (!Double.isFinite(v)) {
                        throw fail(path(prefix, index, suffix) + "[" + count + "]", "must be finite, found " + v);
                    }
                    out[at + (int) count] = v;
                }
            }
            return count;
        }

        /** T rows of {@code width} numbers, row-major. */
        double[] inputs(int steps, int width) {
            // a row takes at least 8 * width bytes: allocate only the rows that the bytes left can hold
            int room = (int) Math.min(steps, left() / Math.max(1, 8L * width));
            double[] out = new double[room * width];
            long rows = 0;
            for (long block = blockCount("inputs", -1, "", 1); block > 0; block = blockCount("inputs", -1, "", 1)) {
                for (long k = 0; k < block; k++, rows++) {
                    if (rows >= steps) {
                        readNumbers("inputs", rows, "", out, 0, -1);
                        continue;
                    }
                    if (rows >= room) {
                        throw truncated();
                    }
                    long found = readNumbers("inputs", rows, "", out, (int) rows * width, width);
                    if (found != width) {
                        throw fail(path("inputs", rows, ""), "must have one value per input unit (" + width + "), found " + found);
                    }
                }
            }
            if (rows != steps) {
                throw fail("inputs", "must have " + steps + " entries, found " + rows);
            }
            return out;
        }
    }
}
