package dev.unroll.kafka;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.unroll.job.ParameterFormat;
import dev.unroll.job.SigningKey;
import dev.unroll.format.Json;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Parameters;
import dev.unroll.record.ParameterVersion;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The parameters topic's record formats for one network structure, both documented in docs/record-formats.md
 * for other programs. A reader takes either: a record that starts with {@code {} is JSON, one
 * that starts with {@link #MAGIC} is binary.
 * <ul>
 * <li>{@link ParameterFormat#JSON}: <pre>{"job": "...", "version": 3, "sequencesTrained": 48, "batchSize": 16,
 *  "batchLoss": 0.41, "last": false, "publishedAt": "2026-...Z", "network": { network.json format }}</pre>
 * <li>{@link ParameterFormat#BINARY}: the same fields then the raw parameters, big-endian; the structure is
 * named by its {@link Network#structureFingerprint} instead of being repeated. A version crosses
 * Kafka on every synchronous update, and at 256 units its JSON took about 10 ms to write and as
 * long to read, against about 50 ms of BPTT for a batch of 32.
 * </ul>
 */
public final class ParameterRecords {
    /** The header that names the key of a per-key model's version (also its record key). */
    public static final String KEY_HEADER = "unroll.key";
    /** The header with the records trained into a version: {@code TOPIC partition:first-last,...} ({@link SourceRanges}). */
    public static final String SOURCE_HEADER = "unroll.source";
    /** The header with the job, its settings and the code that trained a version, as JSON ({@code Provenance}). */
    public static final String PROVENANCE_HEADER = "unroll.provenance";
    /** The header that names the attempt that published a version. */
    public static final String EPOCH_HEADER = "unroll.epoch";
    /** The header with the wall-clock microsecond at which the aggregator published a version. */
    public static final String PUBLISHED_MICROS_HEADER = "unroll.publishedMicros";
    /** "UNRP", the first four bytes of a binary record. */
    public static final int MAGIC = 0x554E5250;
    /** The binary layout's number, bumped on any change to it. */
    public static final byte LAYOUT = 1;
    /** magic, layout, fingerprint, version, trained, batch size, loss, last, publishedAt, units; then the job */
    private static final int FIXED_HEADER_BYTES = 4 + 1 + 8 + 8 + 8 + 8 + 8 + 1 + 8 + 4;

    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    private final Network structure;
    private final long fingerprint;
    private final Limits limits;
    /** null when records are not signed */
    private final VersionSignatures signatures;

    /** A codec for records of {@code structure}'s network; JSON records are checked against {@code limits}. */
    public ParameterRecords(Network structure, Limits limits) {
        this(structure, limits, null);
    }

    /** The same, whose {@link #read} refuses a record not signed with {@code signingKey} (null: records are not signed). */
    public ParameterRecords(Network structure, Limits limits, SigningKey signingKey) {
        this.structure = structure;
        this.fingerprint = structure.structureFingerprint();
        this.limits = limits;
        this.signatures = signingKey == null ? null : new VersionSignatures(signingKey);
    }

    /**
     * Reads a record of the parameters topic, its signature first when records are signed, with the
     * key its headers name ({@link #withKey}).
     *
     * @throws RefusedRecordException when records are signed and its signature fails
     * @throws IllegalArgumentException when it is not a version of this structure
     */
    public ParameterVersion read(ConsumerRecord<byte[], byte[]> record) {
        if (signatures != null) {
            String problem = signatures.problem(record);
            if (problem != null) {
                throw new RefusedRecordException(problem);
            }
        }
        return withKey(decode(record.value()), record);
    }

    public byte[] encode(ParameterVersion v, ParameterFormat format) {
        return format == ParameterFormat.BINARY ? encodeBinary(v) : encodeJson(v);
    }

    /**
     * The record's summary as Kafka headers, in either format, so a binary topic can still be
     * watched with kcat ({@code -f '%h\n'}): {@code unroll.job}, {@code unroll.version},
     * {@code unroll.sequencesTrained}, {@code unroll.batchSize}, {@code unroll.batchLoss},
     * {@code unroll.last}, {@code unroll.format}; and {@code unroll.epoch}, the attempt that
     * published it. Readers take the other values from the record itself.
     */
    public static RecordHeaders headers(ParameterVersion v, ParameterFormat format) {
        RecordHeaders h = new RecordHeaders();
        h.add("unroll.job", utf8(v.job));
        h.add("unroll.version", utf8(Long.toString(v.version)));
        h.add("unroll.sequencesTrained", utf8(Long.toString(v.sequencesTrained)));
        h.add("unroll.batchSize", utf8(Long.toString(v.batchSize)));
        h.add("unroll.batchLoss", utf8(Double.isFinite(v.batchLoss) ? Json.number(v.batchLoss) : "none"));
        h.add("unroll.last", utf8(Boolean.toString(v.last)));
        h.add("unroll.format", utf8(format.toString()));
        if (v.key != null) {
            h.add(KEY_HEADER, utf8(v.key));
        }
        if (v.epoch != null) {
            h.add(EPOCH_HEADER, utf8(v.epoch));
        }
        if (v.source != null && !v.source.isEmpty()) {
            h.add(SOURCE_HEADER, utf8(v.source.toString()));
        }
        if (v.publishedMicros > 0) {
            h.add(PUBLISHED_MICROS_HEADER, utf8(Long.toString(v.publishedMicros)));
        }
        return h;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a parameter record of this structure, in either format.
     *
     * @throws IllegalArgumentException with the reason, when the record is not one
     */
    public ParameterVersion decode(byte[] bytes) {
        if (bytes != null && bytes.length >= 4 && ByteBuffer.wrap(bytes).getInt() == MAGIC) {
            return decodeBinary(bytes);
        }
        return decodeJson(bytes);
    }

    private byte[] encodeBinary(ParameterVersion v) {
        byte[] job = v.job.getBytes(StandardCharsets.UTF_8);
        int n = v.biases.length;
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER_BYTES + 4 + job.length + Double.BYTES * (n * n + 2 * n));
        b.putInt(MAGIC).put(LAYOUT).putLong(fingerprint)
                .putLong(v.version).putLong(v.sequencesTrained).putLong(v.batchSize).putDouble(v.batchLoss)
                .put((byte) (v.last ? 1 : 0)).putLong(v.publishedAt).putInt(n)
                .putInt(job.length).put(job);
        b.asDoubleBuffer().put(v.weights).put(v.biases).put(v.initialState);
        return b.array();
    }

    private ParameterVersion decodeBinary(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            b.getInt();
            byte layout = b.get();
            if (layout != LAYOUT) {
                throw new IllegalArgumentException("binary layout " + layout + ", this reader knows " + LAYOUT);
            }
            if (b.getLong() != fingerprint) {
                throw new IllegalArgumentException("network structure differs from the job's");
            }
            long version = b.getLong();
            long trained = b.getLong();
            long batchSize = b.getLong();
            double batchLoss = b.getDouble();
            boolean last = b.get() != 0;
            long publishedAt = b.getLong();
            int n = b.getInt();
            int jobBytes = b.getInt();
            if (n != structure.units() || jobBytes < 0 || jobBytes > b.remaining()) {
                throw new IllegalArgumentException("malformed binary record");
            }
            String job = new String(bytes, b.position(), jobBytes, StandardCharsets.UTF_8);
            b.position(b.position() + jobBytes);
            if (b.remaining() != Double.BYTES * (n * n + 2 * n)) {
                throw new IllegalArgumentException("binary record of " + bytes.length + " bytes has the wrong length for "
                        + n + " units");
            }
            Parameters p = new Parameters(n, new double[n * n], new double[n], new double[n]);
            b.asDoubleBuffer().get(p.weights).get(p.biases).get(p.initialState);
            if (!p.isFinite()) {
                throw new IllegalArgumentException("parameters are not all finite");
            }
            ParameterVersion v = new ParameterVersion(job, version, p);
            v.sequencesTrained = trained;
            v.batchSize = batchSize;
            v.batchLoss = batchLoss;
            v.last = last;
            v.publishedAt = publishedAt;
            return v;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("binary record cut short at " + bytes.length + " bytes");
        }
    }

    private byte[] encodeJson(ParameterVersion v) {
        StringBuilder s = new StringBuilder();
        s.append("{\"job\":").append(quote(v.job));
        if (v.key != null) {
            s.append(",\"key\":").append(quote(v.key));
        }
        s
                .append(",\"version\":").append(v.version)
                .append(",\"sequencesTrained\":").append(v.sequencesTrained)
                .append(",\"batchSize\":").append(v.batchSize)
                .append(",\"batchLoss\":").append(Double.isFinite(v.batchLoss) ? Json.number(v.batchLoss) : "null")
                .append(",\"last\":").append(v.last)
                .append(",\"publishedAt\":").append(quote(Instant.ofEpochMilli(v.publishedAt).toString()))
                .append(",\"network\":").append(NetworkJson.write(structure.withParameters(v.parameters()), null).strip())
                .append('}');
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private ParameterVersion decodeJson(byte[] bytes) {
        JsonNode root;
        try {
            root = bytes == null ? null : MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject() || !root.path("network").isObject() || !root.path("version").isIntegralNumber()) {
            throw new IllegalArgumentException("not a parameter record");
        }
        Network net = NetworkJson.fromTree(root.get("network"), "parameter record", limits);
        if (!net.sameStructure(structure)) {
            throw new IllegalArgumentException("network structure differs from the job's");
        }
        ParameterVersion v = new ParameterVersion(root.path("job").asText(), root.get("version").longValue(), net.parameters());
        v.sequencesTrained = root.path("sequencesTrained").asLong();
        v.batchSize = root.path("batchSize").asLong();
        v.batchLoss = root.path("batchLoss").isNumber() ? root.get("batchLoss").doubleValue() : Double.NaN;
        v.last = root.path("last").asBoolean(false);
        v.key = root.path("key").isTextual() ? root.get("key").textValue() : null;
        v.publishedAt = root.hasNonNull("publishedAt") ? Instant.parse(root.get("publishedAt").asText()).toEpochMilli() : 0;
        return v;
    }

    /** The version with the per-key model's key its record names in its {@link #KEY_HEADER} header, if any. */
    private static ParameterVersion withKey(ParameterVersion v, ConsumerRecord<byte[], byte[]> record) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(KEY_HEADER);
        if (v.key == null && h != null) {
            v.key = new String(h.value(), StandardCharsets.UTF_8);
        }
        return v;
    }

    private static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
