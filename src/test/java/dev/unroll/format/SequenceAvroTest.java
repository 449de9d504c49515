package dev.unroll.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.junit.jupiter.api.Test;
import dev.unroll.model.Limits;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.RandomCases;
import dev.unroll.model.Sequence;
import dev.unroll.model.TestSupport;

/**
 * The Avro record: what it writes is what the Avro library writes for the published schema, and
 * reads back bit for bit; it reads what the library writes, blocked arrays included; it rejects
 * exactly what the JSON parser rejects, with the same field and reason; and no bytes make it
 * throw anything but a {@link ModelException} naming the record.
 */
class SequenceAvroTest {
    private static final List<RandomCases.Case> CASES = RandomCases.generate(0xA7B0L, 300);
    private static final Network NET = NetworkJson.parse(ValidityTest.NETWORK, "net", Limits.DEFAULT);

    private static Sequence json(String text, Network net) {
        return SequenceJson.parse(text, "x", net, Limits.DEFAULT);
    }

    @Test
    void theSchemaInTheRepositoryIsTheOneRecordsName() throws IOException {
        String file = Files.readString(Path.of("src/main/resources", SequenceAvro.SCHEMA_RESOURCE));
        assertEquals(SchemaNormalization.parsingFingerprint64(new org.apache.avro.Schema.Parser().parse(file)),
                SequenceAvro.FINGERPRINT);
        Sequence seq = json(ValidityTest.SEQUENCE, NET);
        byte[] record = SequenceAvro.write(seq);
        assertEquals((byte) 0xC3, record[0]);
        assertEquals(0x01, record[1]);
        assertEquals(SequenceAvro.FINGERPRINT, ByteBuffer.wrap(record, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    @Test
    void writesWhatTheAvroLibraryWritesAndReadsItBackBitForBit() throws IOException {
        List<Path> reference = TestSupport.cases("gradients");
        List<Object[]> all = new ArrayList<>();
        for (RandomCases.Case c : CASES) {
            all.add(new Object[] {c.toString(), c.net(), SequenceJson.write(c.seq())});
        }
        for (Path dir : reference) {
            all.add(new Object[] {dir.toString(), NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT),
                    NetworkJson.readText(dir.resolve("sequence.json"))});
        }
        all.add(new Object[] {"keyed", NET, ValidityTest.SEQUENCE.replace("\"id\": \"base\"", "\"id\": \"é€\", \"key\": \"valve/7\"")});
        BinaryMessageDecoder<GenericRecord> library = new BinaryMessageDecoder<>(GenericData.get(), SequenceAvro.SCHEMA);
        for (Object[] c : all) {
            String what = (String) c[0];
            Network net = (Network) c[1];
            Sequence expected = json((String) c[2], net);
            byte[] ours = SequenceAvro.write(expected);
            assertArrayEquals(AvroTestRecords.fromJson((String) c[2]), ours, what);
            assertNotNull(library.decode(ours), what);
            SequenceStreamTest.assertSame(expected, SequenceAvro.read(ours, "x", net, Limits.DEFAULT), what);
        }
    }

    /** Avro writers may cut arrays into blocks, with the item count negated and the block's size in bytes. */
    @Test
    void readsArraysInBlocks() throws IOException {
        Sequence expected = json(ValidityTest.SEQUENCE, NET);
        GenericRecord record = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), SequenceAvro.SCHEMA)
                .decode(SequenceAvro.write(expected));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(SequenceAvro.write(expected), 0, 10);
        BinaryEncoder blocked = new EncoderFactory().configureBlockSize(32).blockingBinaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(SequenceAvro.SCHEMA).write(record, blocked);
        blocked.flush();
        byte[] value = bytes.toByteArray();
        assertFalse(Arrays.equals(SequenceAvro.write(expected), value), "the blocking encoder wrote other bytes");
        SequenceStreamTest.assertSame(expected, SequenceAvro.read(value, "x", NET, Limits.DEFAULT), "blocked");
    }

    /** One defect each, written by the Avro library: the same field and reason as the JSON parser gives. */
    @Test
    void rejectsWhatTheJsonParserRejectsInItsWords() {
        String row = "[1.0, 0.0]";
        String ok = "{\"steps\": 2, \"inputs\": [" + row + ", " + row + "], \"targets\": [{\"t\": 2, \"units\": [3], \"values\": [1.0]}]}";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("steps 0", ok.replace("\"steps\": 2", "\"steps\": 0"));
        bad.put("steps negative", ok.replace("\"steps\": 2", "\"steps\": -4"));
        bad.put("steps over the limit", ok.replace("\"steps\": 2", "\"steps\": 5000"));
        bad.put("target time after T", ok.replace("\"t\": 2", "\"t\": 3"));
        bad.put("target time 0", ok.replace("\"t\": 2", "\"t\": 0"));
        bad.put("target unit out of range", ok.replace("[3]", "[4]"));
        bad.put("target unit negative", ok.replace("[3]", "[-1]"));
        bad.put("target shapes differ", ok.replace("[3]", "[3, 1]"));
        bad.put("target values too many", ok.replace("[1.0]}", "[1.0, 0.5]}"));
        bad.put("target value NaN", ok.replace("[1.0]}", "[NaN]}"));
        bad.put("target value overflows", ok.replace("[1.0]}", "[-1e999]}"));
        bad.put("inputs rows too few", ok.replace("[" + row + ", " + row + "]", "[" + row + "]"));
        bad.put("inputs rows too many", ok.replace("[" + row + ", " + row + "]", "[" + row + ", " + row + ", " + row + "]"));
        bad.put("inputs width short", ok.replace(row + "]", "[1.0]]"));
        bad.put("inputs width long", ok.replace(row + "]", "[1.0, 0.0, 1.0]]"));
        bad.put("input value infinite", ok.replace(row + "]", "[1.0, Infinity]]"));
        bad.put("initial unit twice", ok.replace("{\"steps\": 2,", "{\"steps\": 2, \"initial\": {\"units\": [1, 1], \"values\": [0, 0]},"));
        bad.put("initial unit out of range", ok.replace("{\"steps\": 2,", "{\"steps\": 2, \"initial\": {\"units\": [9], \"values\": [0]},"));
        bad.put("initial values short", ok.replace("{\"steps\": 2,", "{\"steps\": 2, \"initial\": {\"units\": [1, 2], \"values\": [0]},"));
        bad.put("initial value NaN", ok.replace("{\"steps\": 2,", "{\"steps\": 2, \"initial\": {\"units\": [1], \"values\": [NaN]},"));
        bad.put("key empty", ok.replace("{\"steps\": 2,", "{\"key\": \"\", \"steps\": 2,"));
        bad.put("key too long", ok.replace("{\"steps\": 2,", "{\"key\": \"" + "k".repeat(1025) + "\", \"steps\": 2,"));
        Limits limits = new Limits(4096, 1000);
        assertNotNull(SequenceAvro.read(AvroTestRecords.fromJson(ok), "x", NET, limits));
        for (Map.Entry<String, String> c : bad.entrySet()) {
            ModelException j = assertThrows(ModelException.class, () -> SequenceJson.parse(c.getValue(), "x", NET, limits), c.getKey());
            ModelException a = assertThrows(ModelException.class,
                    () -> SequenceAvro.read(AvroTestRecords.fromJson(c.getValue()), "x", NET, limits), c.getKey());
            assertEquals(j.getMessage(), a.getMessage(), c.getKey());
        }
    }

    @Test
    void badBytesNameTheRecordTheFieldAndTheReason() {
        byte[] ok = SequenceAvro.write(json(ValidityTest.SEQUENCE.replace("\"id\": \"base\"", "\"id\": \"base\", \"key\": \"k\""), NET));
        assertEquals("r: not a single-object Avro record (0xC3 0x01 and an 8-byte schema fingerprint)",
                message(Arrays.copyOf(ok, 9)));
        byte[] other = ok.clone();
        other[9] ^= 0x40;
        assertEquals(String.format("r: written with the Avro schema of fingerprint %016x, not %s (%016x)",
                ByteBuffer.wrap(other, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), SequenceAvro.SCHEMA_RESOURCE,
                SequenceAvro.FINGERPRINT), message(other));
        assertEquals("r: 3 bytes after the end of the sequence", message(Arrays.copyOf(ok, ok.length + 3)));
        assertEquals("r: targets: the record ends inside this field (truncated)", message(Arrays.copyOf(ok, ok.length - 1)));
        assertEquals("r: id: the record ends inside this field (truncated)", message(Arrays.copyOf(ok, 10)));

        byte[] header = Arrays.copyOf(ok, 10);
        assertEquals("r: id: union branch 2 is not in the schema (0: null, 1: a value)", message(concat(header, 4)));
        assertEquals("r: id: not UTF-8 text", message(concat(header, 2, 4, 'a', 0xC3, 0x28, 'b')));
        assertEquals("r: id: a string of negative length -1", message(concat(header, 2, 1)));
        assertEquals("r: id: the record ends inside this field (truncated)", message(concat(header, 2, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 'a')));
        assertEquals("r: steps: a variable-length integer runs over 10 bytes",
                message(concat(header, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)));
        assertEquals("r: steps: is out of range: 2147483648", message(concat(header, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10)));
        // inputs claiming 2^40 rows, targets 2^40 entries, a target 2^40 units: found short before anything is allocated
        assertEquals("r: inputs: the record ends inside this field (truncated)",
                message(concat(header, 0, 0, 4, 0, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0)));
        assertEquals("r: targets: the record ends inside this field (truncated)",
                message(concat(header, 0, 0, 4, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0)));
        assertEquals("r: targets: the record ends inside this field (truncated)",
                message(concat(header, 0, 0, 4, 0, 0, 2, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, 0, 0)));
        assertEquals("r: steps: 1000000000 exceeds the limit of 1000000 steps",
                message(concat(header, 0, 0, 0x80, 0xa8, 0xd6, 0xb9, 0x07, 2, 0x80, 0x80, 0x80, 0x04, 0)));
    }

    /** Every prefix, and a hundred thousand random corruptions: a sequence or a ModelException, nothing else. */
    @Test
    void noBytesThrowAnythingElse() {
        List<byte[]> valid = new ArrayList<>();
        for (RandomCases.Case c : CASES.subList(0, 40)) {
            valid.add(SequenceAvro.write(c.seq()));
        }
        SplittableRandom rnd = new SplittableRandom(11);
        int rejected = 0;
        for (int k = 0; k < valid.size(); k++) {
            byte[] ok = valid.get(k);
            Network net = CASES.get(k).net();
            for (int length = 0; length < ok.length; length++) {
                readOrReject(Arrays.copyOf(ok, length), net);
                rejected++;
            }
            for (int m = 0; m < 2500; m++) {
                byte[] bad = ok.clone();
                for (int flips = 1 + rnd.nextInt(3); flips > 0; flips--) {
                    int at = 10 + rnd.nextInt(bad.length - 10);
                    bad[at] = rnd.nextInt(4) == 0 ? (byte) 0xFF : (byte) rnd.nextInt(256);
                }
                rejected += readOrReject(bad, net) ? 0 : 1;
            }
        }
        assertTrue(rejected > 50_000, rejected + " rejected");
    }

    private static boolean readOrReject(byte[] value, Network net) {
        try {
            SequenceAvro.read(value, "r", net, Limits.DEFAULT);
            return true;
        } catch (ModelException e) {
            assertTrue(e.getMessage().startsWith("r: ") && !e.getMessage().contains("\n"), e.getMessage());
            return false;
        } catch (RuntimeException | Error e) {
            fail("bytes " + Arrays.toString(value) + " threw " + e, e);
            return false;
        }
    }

    @Test
    void formatsAreToldApartByTheirFirstBytes() {
        Sequence seq = json(ValidityTest.SEQUENCE, NET);
        assertEquals(SequenceFormat.AVRO, SequenceFormat.of(SequenceFormat.AVRO.write(seq)));
        assertEquals(SequenceFormat.JSON, SequenceFormat.of(SequenceFormat.JSON.write(seq)));
        assertEquals(SequenceFormat.JSON, SequenceFormat.of("\u00C3\u0001".getBytes(StandardCharsets.UTF_8)), "text, UTF-8 encoded");
        assertEquals(SequenceFormat.AVRO, SequenceFormat.named("Avro"));
        assertEquals(null, SequenceFormat.named("xml"));
        // a line of a file: its sequence in Avro, or the line itself when it is no sequence
        String line = SequenceJson.write(seq);
        SequenceStreamTest.assertSame(seq, SequenceAvro.read(SequenceFormat.AVRO.recordOf(line, NET, Limits.DEFAULT), "x",
                NET, Limits.DEFAULT), "transcoded");
        assertArrayEquals("{\"steps\": 0}".getBytes(StandardCharsets.UTF_8), SequenceFormat.AVRO.recordOf("{\"steps\": 0}", NET, Limits.DEFAULT));
        assertArrayEquals(line.getBytes(StandardCharsets.UTF_8), SequenceFormat.JSON.recordOf(line, NET, Limits.DEFAULT));
    }

    private static String message(byte[] value) {
        return assertThrows(ModelException.class, () -> SequenceAvro.read(value, "r", NET, Limits.DEFAULT)).getMessage();
    }

    private static byte[] concat(byte[] head, int... tail) {
        byte[] out = Arrays.copyOf(head, head.length + tail.length);
        for (int k = 0; k < tail.length; k++) {
            out[head.length + k] = (byte) tail[k];
        }
        return out;
    }
}
