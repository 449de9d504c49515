package dev.unroll.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import dev.unroll.model.Sequence;

/**
 * A compact binary form of an already validated sequence, for passing sequences between
 * operators without parsing JSON twice. Not a storage format: it has no version byte and is
 * only read by the same build that wrote it.
 */
public final class SequenceCodec {
    private SequenceCodec() {
    }

    public static byte[] encode(Sequence seq) {
        byte[] id = utf8(seq.id());
        byte[] key = utf8(seq.key());
        int size = 4 + (id == null ? 0 : id.length) + 4 + (key == null ? 0 : key.length) + 4 + 4 + seq.initialUnits().length * 12 + 8
                + (seq.hasInputs() ? seq.steps() * seq.inputWidth() * 8 : 0) + 4;
        for (Sequence.Target target : seq.targets()) {
            size += 8 + target.units().length * 12;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        putText(b, id);
        putText(b, key);
        b.putInt(seq.steps());
        b.putInt(seq.initialUnits().length);
        for (int k = 0; k < seq.initialUnits().length; k++) {
            b.putInt(seq.initialUnits()[k]).putDouble(seq.initialValues()[k]);
        }
        b.putInt(seq.inputWidth()).putInt(seq.hasInputs() ? 1 : 0);
        if (seq.hasInputs()) {
            for (int t = 0; t < seq.steps(); t++) {
                for (int k = 0; k < seq.inputWidth(); k++) {
                    b.putDouble(seq.input(t, k));
                }
            }
        }
        b.putInt(seq.targets().size());
        for (Sequence.Target target : seq.targets()) {
            b.putInt(target.t()).putInt(target.units().length);
            for (int k = 0; k < target.units().length; k++) {
                b.putInt(target.units()[k]).putDouble(target.values()[k]);
            }
        }
        return b.array();
    }

    public static Sequence decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        String id = getText(b);
        String key = getText(b);
        int steps = b.getInt();
        int given = b.getInt();
        int[] initialUnits = new int[given];
        double[] initialValues = new double[given];
        for (int k = 0; k < given; k++) {
            initialUnits[k] = b.getInt();
            initialValues[k] = b.getDouble();
        }
        int width = b.getInt();
        double[] inputs = null;
        if (b.getInt() == 1) {
            inputs = new double[steps * width];
            for (int k = 0; k < inputs.length; k++) {
                inputs[k] = b.getDouble();
            }
        }
        int count = b.getInt();
        List<Sequence.Target> targets = new ArrayList<>(count);
        for (int e = 0; e < count; e++) {
            int t = b.getInt();
            int n = b.getInt();
            int[] units = new int[n];
            double[] values = new double[n];
            for (int k = 0; k < n; k++) {
                units[k] = b.getInt();
                values[k] = b.getDouble();
            }
            targets.add(new Sequence.Target(t, units, values));
        }
        return new Sequence(id, key, steps, initialUnits, initialValues, inputs, width, targets);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putText(ByteBuffer b, byte[] text) {
        b.putInt(text == null ? -1 : text.length);
        if (text != null) {
            b.put(text);
        }
    }

    /** The number of steps T of an encoded sequence, read from its head without decoding the rest. */
    public static int steps(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        getText(b);
        getText(b);
        return b.getInt();
    }

    private static String getText(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0) {
            return null;
        }
        byte[] raw = new byte[length];
        b.get(raw);
        return new String(raw, StandardCharsets.UTF_8);
    }
}
