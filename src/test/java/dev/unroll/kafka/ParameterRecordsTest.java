package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.ParameterFormat;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Parameters;
import dev.unroll.model.Prequential;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import dev.unroll.record.ParameterVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

class ParameterRecordsTest {
    /** 3 units, a mask and a tied pair: the structure a record must match. */
    private static final String NETWORK = """
            {"units": 3, "inputUnits": [0], "outputUnits": [2], "activation": "logistic", "loss": "cross-entropy",
             "weights": [[0.1, 0, 0.3], [0.25, 0.5, 0.6], [0.7, 0.25, 0.9]],
             "biases": [0.1, -0.2, 0.3], "initialState": [0.5, 0.5, 0.5],
             "mask": [[1, 0, 1], [1, 1, 1], [1, 1, 1]],
             "tied": [[[1, 0], [2, 1]]]}
            """;
    private static final Network STRUCTURE = NetworkJson.parse(NETWORK, "test", Limits.DEFAULT);
    private static final ParameterRecords RECORDS = new ParameterRecords(STRUCTURE, Limits.DEFAULT);

    /** Parameters no decimal shortcut would survive: random bits, subnormals, extremes, -0. */
    private static ParameterVersion awkwardVersion(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Parameters p = STRUCTURE.parameters().copy();
        double[][] arrays = {p.weights, p.biases, p.initialState};
        double[] specials = {-0.0, Double.MIN_VALUE, -Double.MAX_VALUE, 1e-310, Math.nextUp(1.0)};
        for (double[] a : arrays) {
            for (int k = 0; k < a.length; k++) {
                a[k] = rnd.nextInt(4) == 0 ? specials[rnd.nextInt(specials.length)]
                        : Double.longBitsToDouble(rnd.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL);
            }
        }
        p.weights[1] = 0.0; // masked out
        p.weights[7] = p.weights[3]; // tied with [1][0]
        ParameterVersion v = new ParameterVersion("job-é", 42, p);
        v.sequencesTrained = 1344;
        v.batchSize = 32;
        v.batchLoss = rnd.nextDouble();
        v.last = rnd.nextBoolean();
        v.publishedAt = 1_790_000_000_123L;
        return v;
    }

    private static void assertSameVersion(ParameterVersion expected, ParameterVersion got) {
        assertEquals(expected.job, got.job);
        assertEquals(expected.version, got.version);
        assertEquals(expected.sequencesTrained, got.sequencesTrained);
        assertEquals(expected.batchSize, got.batchSize);
        assertEquals(Double.doubleToLongBits(expected.batchLoss), Double.doubleToLongBits(got.batchLoss));
        assertEquals(expected.last, got.last);
        assertEquals(expected.publishedAt, got.publishedAt);
        // bit for bit, -0.0 and subnormals included
        assertArrayEquals(bits(expected.weights), bits(got.weights));
        assertArrayEquals(bits(expected.biases), bits(got.biases));
        assertArrayEquals(bits(expected.initialState), bits(got.initialState));
    }

    private static long[] bits(double[] a) {
        return Arrays.stream(a).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @ParameterizedTest
    @EnumSource(ParameterFormat.class)
    void everyFormatRoundTripsBitForBit(ParameterFormat format) {
        for (long seed = 0; seed < 50; seed++) {
            ParameterVersion v = awkwardVersion(seed);
            assertSameVersion(v, RECORDS.decode(RECORDS.encode(v, format)));
        }
        ParameterVersion noLoss = awkwardVersion(99);
        noLoss.batchLoss = Double.NaN; // version 0 and empty batches have none
        assertTrue(Double.isNaN(RECORDS.decode(RECORDS.encode(noLoss, format)).batchLoss));
    }

    @Test
    void theBinaryLayoutIsTheOneTheReadmeDocuments() {
        ParameterVersion v = awkwardVersion(7);
        ByteBuffer b = ByteBuffer.wrap(RECORDS.encode(v, ParameterFormat.BINARY));
        assertEquals("UNRP", new String(b.array(), 0, 4, StandardCharsets.US_ASCII));
        b.position(4);
        assertEquals(1, b.get(), "layout");
        assertEquals(STRUCTURE.structureFingerprint(), b.getLong());
        assertEquals(42, b.getLong(), "version");
        assertEquals(1344, b.getLong(), "sequencesTrained");
        assertEquals(32, b.getLong(), "batchSize");
        assertEquals(v.batchLoss, b.getDouble(), "batchLoss");
        assertEquals(v.last ? 1 : 0, b.get(), "last");
        assertEquals(v.publishedAt, b.getLong(), "publishedAt");
        assertEquals(3, b.getInt(), "units");
        byte[] job = new byte[b.getInt()];
        b.get(job);
        assertEquals("job-é", new String(job, StandardCharsets.UTF_8));
        double[] rest = new double[b.remaining() / Double.BYTES];
        b.asDoubleBuffer().get(rest);
        assertEquals(9 + 3 + 3, rest.length, "weights row-major, biases, initial state, nothing more");
        assertArrayEquals(bits(v.weights), bits(Arrays.copyOfRange(rest, 0, 9)));
        assertArrayEquals(bits(v.biases), bits(Arrays.copyOfRange(rest, 9, 12)));
        assertArrayEquals(bits(v.initialState), bits(Arrays.copyOfRange(rest, 12, 15)));
    }

    @Test
    void theHeadersSummariseTheRecordForKcat() {
        ParameterVersion v = awkwardVersion(3);
        v.batchLoss = 0.25;
        v.last = true;
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
        ParameterRecords.headers(v, ParameterFormat.BINARY)
                .forEach(x -> h.put(x.key(), new String(x.value(), StandardCharsets.UTF_8)));
        assertEquals(java.util.Map.ofEntries(java.util.Map.entry("unroll.job", "job-é"),
                java.util.Map.entry("unroll.version", "42"), java.util.Map.entry("unroll.sequencesTrained", "1344"),
                java.util.Map.entry("unroll.batchSize", "32"), java.util.Map.entry("unroll.batchLoss", "0.25"),
                java.util.Map.entry("unroll.last", "true"), java.util.Map.entry("unroll.format", "binary"),
                java.util.Map.entry("unroll.measuredVersion", "-1"), java.util.Map.entry("unroll.batchAccuracy", "none"),
                java.util.Map.entry("unroll.prequentialLoss", "none"), java.util.Map.entry("unroll.prequentialAccuracy", "none"),
                java.util.Map.entry("unroll.prequentialWindow", "0"), java.util.Map.entry("unroll.fadingLoss", "none"),
                java.util.Map.entry("unroll.fadingAccuracy", "none")), h);
        v.batchLoss = Double.NaN;
        assertEquals("none", new String(ParameterRecords.headers(v, ParameterFormat.JSON)
                .lastHeader("unroll.batchLoss").value(), StandardCharsets.UTF_8));
    }

    @Test
    void thePrequentialFiguresTravelInTheHeadersInEitherFormat() {
        for (ParameterFormat format : ParameterFormat.values()) {
            ParameterVersion v = awkwardVersion(3);
            v.setFigures(40, new Prequential.Figures(0.25, 0.875, 0.3125, 0.75, 992, 1.0 / 3, 0.5));
            ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("t", 0, 7, null, RECORDS.encode(v, format));
            ParameterRecords.headers(v, format).forEach(h -> record.headers().add(h));
            ParameterVersion back = RECORDS.read(record);
            assertEquals(40, back.measuredVersion, format + ": measured version");
            assertEquals(v.figures(), back.figures(), format + ": figures");
        }
        // a record without them (written before they existed) reads with none measured
        ParameterVersion v = awkwardVersion(3);
        ConsumerRecord<byte[], byte[]> bare = new ConsumerRecord<>("t", 0, 8, null, RECORDS.encode(v, ParameterFormat.BINARY));
        ParameterVersion back = RECORDS.read(bare);
        assertEquals(-1, back.measuredVersion);
        assertTrue(Double.isNaN(back.windowLoss));
    }

    @Test
    void theFingerprintNamesTheStructureNotTheParameters() {
        Network other = STRUCTURE.withParameters(awkwardVersion(3).parameters());
        assertEquals(STRUCTURE.structureFingerprint(), other.structureFingerprint());
        String[] changes = {
                NETWORK.replace("\"inputUnits\": [0]", "\"inputUnits\": [1]"),
                NETWORK.replace("\"outputUnits\": [2]", "\"outputUnits\": [1, 2]"),
                NETWORK.replace("\"loss\": \"cross-entropy\"", "\"loss\": \"squared\""),
                NETWORK.replace("[[1, 0, 1], [1, 1, 1]", "[[1, 1, 1], [1, 1, 1]"),
                NETWORK.replace("\"tied\": [[[1, 0], [2, 1]]]", "\"tied\": []"),
        };
        for (String changed : changes) {
            assertNotEquals(NETWORK, changed, "the change applies");
            Network n = NetworkJson.parse(changed, "changed", Limits.DEFAULT);
            assertNotEquals(STRUCTURE.structureFingerprint(), n.structureFingerprint(), changed);
        }
    }

    @ParameterizedTest
    @EnumSource(ParameterFormat.class)
    void aRecordOfAnotherStructureIsRefused(ParameterFormat format) {
        Network unmasked = NetworkJson.parse(NETWORK.replace("[[1, 0, 1], [1, 1, 1]", "[[1, 1, 1], [1, 1, 1]"),
                "other", Limits.DEFAULT);
        byte[] record = new ParameterRecords(unmasked, Limits.DEFAULT)
                .encode(new ParameterVersion("j", 1, unmasked.parameters()), format);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RECORDS.decode(record));
        assertEquals("network structure differs from the job's", e.getMessage());
    }

    @Test
    void everyCutOfABinaryRecordIsRefusedWithAReason() {
        byte[] whole = RECORDS.encode(awkwardVersion(5), ParameterFormat.BINARY);
        for (int length = 0; length < whole.length; length++) {
            byte[] cut = Arrays.copyOf(whole, length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RECORDS.decode(cut),
                    "cut at " + length);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
        byte[] longer = Arrays.copyOf(whole, whole.length + 8);
        assertThrows(IllegalArgumentException.class, () -> RECORDS.decode(longer));
    }

    @Test
    void aNonFiniteParameterOrAnUnknownLayoutIsRefused() {
        ParameterVersion v = awkwardVersion(11);
        v.biases[1] = Double.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RECORDS.decode(RECORDS.encode(v, ParameterFormat.BINARY)));
        assertEquals("parameters are not all finite", e.getMessage());

        byte[] record = RECORDS.encode(awkwardVersion(11), ParameterFormat.BINARY);
        record[4] = 2;
        e = assertThrows(IllegalArgumentException.class, () -> RECORDS.decode(record));
        assertEquals("binary layout 2, this reader knows 1", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "[1, 2]", "not json", "{\"version\": 1, \"network\": 3}", "UNR"})
    void somethingElseIsNotARecord(String text) {
        assertThrows(IllegalArgumentException.class, () -> RECORDS.decode(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theBinaryFormIsAFractionOfTheJson() {
        ParameterVersion v = awkwardVersion(1);
        int binary = RECORDS.encode(v, ParameterFormat.BINARY).length;
        int json = RECORDS.encode(v, ParameterFormat.JSON).length;
        assertEquals(4 + 1 + 8 * 6 + 1 + 4 + 4 + "job-é".getBytes(StandardCharsets.UTF_8).length + 8 * 15, binary);
        assertTrue(binary * 2 < json, binary + " vs " + json);
    }
}
