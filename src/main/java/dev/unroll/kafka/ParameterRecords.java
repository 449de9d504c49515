package dev.unroll.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.unroll.model.Json;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.model.NetworkJson;
import dev.unroll.stream.ParameterVersion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The parameters topic's record format, documented in the README for other programs:
 * <pre>{"job": "...", "version": 3, "sequencesTrained": 48, "batchSize": 16, "batchLoss": 0.41,
 *  "last": false, "publishedAt": "2026-...Z", "network": { network.json format }}</pre>
 */
public final class ParameterRecords {
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    private ParameterRecords() {
    }

    public static byte[] encode(ParameterVersion v, Network structure) {
        StringBuilder s = new StringBuilder();
        s.append("{\"job\":").append(quote(v.job))
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

    /**
     * Reads a parameter record whose network has the given structure.
     *
     * @throws IllegalArgumentException with the reason, when the record is not one
     */
    public static ParameterVersion decode(byte[] bytes, Network structure, Limits limits) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
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
        v.publishedAt = root.hasNonNull("publishedAt") ? Instant.parse(root.get("publishedAt").asText()).toEpochMilli() : 0;
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
