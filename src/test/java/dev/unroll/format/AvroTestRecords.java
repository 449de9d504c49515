package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Avro records written by the Avro library itself ({@code GenericDatumWriter} under Avro's own
 * single-object encoder), from JSON sequences that need not be valid: for holding
 * {@link SequenceAvro} to the library, and for the same bad-input cases in both formats.
 */
public final class AvroTestRecords {
    private static final Schema INITIAL = SequenceAvro.SCHEMA.getField("initial").schema().getTypes().get(1);
    private static final Schema INPUTS = SequenceAvro.SCHEMA.getField("inputs").schema().getTypes().get(1);
    private static final Schema TARGETS = SequenceAvro.SCHEMA.getField("targets").schema();
    private static final Schema TARGET = TARGETS.getElementType();

    private AvroTestRecords() {
    }

    /** The record of a JSON sequence, its values taken as they are; fails on a value of the wrong type. */
    public static byte[] fromJson(String json) {
        JsonNode root;
        try {
            root = JsonReader.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GenericRecord r = new GenericData.Record(SequenceAvro.SCHEMA);
        r.put("id", root.hasNonNull("id") ? root.get("id").textValue() : null);
        r.put("key", root.hasNonNull("key") ? root.get("key").textValue() : null);
        r.put("steps", whole(root.get("steps")));
        if (root.hasNonNull("initial")) {
            GenericRecord initial = new GenericData.Record(INITIAL);
            initial.put("units", ints(root.get("initial").get("units")));
            initial.put("values", doubles(root.get("initial").get("values")));
            r.put("initial", initial);
        }
        if (root.hasNonNull("inputs")) {
            List<List<Double>> rows = new ArrayList<>();
            root.get("inputs").forEach(row -> rows.add(doubles(row)));
            r.put("inputs", new GenericData.Array<>(INPUTS, rows));
        }
        List<GenericRecord> targets = new ArrayList<>();
        if (root.hasNonNull("targets")) {
            for (JsonNode t : root.get("targets")) {
                GenericRecord target = new GenericData.Record(TARGET);
                target.put("t", whole(t.get("t")));
                target.put("units", ints(t.get("units")));
                target.put("values", doubles(t.get("values")));
                targets.add(target);
            }
        }
        r.put("targets", new GenericData.Array<>(TARGETS, targets));
        return encode(r);
    }

    /** Avro's own single-object encoding of a record of the sequence schema. */
    public static byte[] encode(GenericRecord r) {
        try {
            ByteBuffer b = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), SequenceAvro.SCHEMA).encode(r);
            return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int whole(JsonNode node) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new IllegalArgumentException("not an Avro int: " + node);
        }
        return node.intValue();
    }

    private static List<Integer> ints(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        node.forEach(v -> out.add(whole(v)));
        return out;
    }

    private static List<Double> doubles(JsonNode node) {
        List<Double> out = new ArrayList<>();
        node.forEach(v -> {
            if (!v.isNumber()) {
                throw new IllegalArgumentException("not an Avro double: " + v);
            }
            out.add(v.doubleValue());
        });
        return out;
    }
}
