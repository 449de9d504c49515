package dev.unroll.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.job.SigningKey;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Signed parameter records: the sink's serializer signs, every reader checks, and any change to
 * what a reader takes from a record (key, a header, the value, a header added or dropped) or a
 * signature made with another key fails the check.
 */
class VersionSignaturesTest {
    private static final SigningKey KEY = SigningKey.of("the job's key, at least thirty-two bytes long");
    private static final SigningKey OTHER = SigningKey.of("somebody else's key, just as long as the job's");

    private static TrainingSpec spec() {
        JobConfig config = JobConfig.read(TestSupport.examples().resolve("per-key/pk1-three-keys/job.yaml"));
        return TrainingSpec.of(config, config.loadNetwork(), 2);
    }

    /** What the job's sink writes for version 3, as a reader receives it. */
    private static ConsumerRecord<byte[], byte[]> signedVersion(TrainingSpec spec, SigningKey key) {
        ParameterVersionSerializer serializer = new ParameterVersionSerializer(spec, "params", key);
        serializer.open(null, null);
        ParameterVersion v = new ParameterVersion(spec.job(), 3, spec.network().parameters());
        v.epoch = "run/0";
        v.key = "pump-1";
        return received(serializer.serialize(v, null, null));
    }

    private static ConsumerRecord<byte[], byte[]> received(ProducerRecord<byte[], byte[]> r) {
        return received(r.key(), r.headers(), r.value());
    }

    private static ConsumerRecord<byte[], byte[]> received(byte[] key, Iterable<Header> headers, byte[] value) {
        RecordHeaders copy = new RecordHeaders();
        headers.forEach(h -> copy.add(new RecordHeader(h.key(), h.value())));
        return new ConsumerRecord<>("params", 0, 42, 0L, TimestampType.CREATE_TIME, 0, 0, key, value, copy, Optional.empty());
    }

    private static ConsumerRecord<byte[], byte[]> withHeaders(ConsumerRecord<byte[], byte[]> r,
                                                              UnaryOperator<List<Header>> change) {
        List<Header> headers = new ArrayList<>();
        r.headers().forEach(headers::add);
        return received(r.key(), change.apply(headers), r.value());
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void whatTheJobsSinkWritesPassesAndReadsBack() {
        TrainingSpec spec = spec();
        ConsumerRecord<byte[], byte[]> r = signedVersion(spec, KEY);
        assertEquals(64, r.headers().lastHeader(VersionSignatures.HEADER).value().length, "HMAC-SHA256 in hex");
        assertNull(new VersionSignatures(KEY).problem(r));
        ParameterVersion v = new ParameterRecords(spec.network(), spec.limits(), KEY).read(r);
        assertEquals(3, v.version);
        assertEquals("pump-1", v.key);
    }

    @Test
    void anyChangeOrAnotherKeyFailsTheCheck() {
        TrainingSpec spec = spec();
        ConsumerRecord<byte[], byte[]> r = signedVersion(spec, KEY);
        VersionSignatures check = new VersionSignatures(KEY);
        byte[] value = r.value().clone();
        value[value.length - 1] ^= 1;
        List<ConsumerRecord<byte[], byte[]>> changed = List.of(
                received(r.key(), r.headers(), value),
                received("pump-2".getBytes(StandardCharsets.UTF_8), r.headers(), r.value()),
                withHeaders(r, h -> replace(h, "unroll.version", "4")),
                withHeaders(r, h -> replace(h, "unroll.epoch", "run/1")),
                withHeaders(r, h -> {
                    h.add(0, header("unroll.epoch", "run/1"));
                    return h;
                }),
                withHeaders(r, h -> {
                    h.removeIf(x -> x.key().equals(ParameterRecords.PROVENANCE_HEADER));
                    return h;
                }),
                signedVersion(spec, OTHER));
        for (ConsumerRecord<byte[], byte[]> c : changed) {
            assertEquals("its signature does not match its contents", check.problem(c));
        }
        assertEquals("not signed (no unroll.signature header)",
                check.problem(withHeaders(r, h -> {
                    h.removeIf(x -> x.key().equals(VersionSignatures.HEADER));
                    return h;
                })));
        assertEquals("its unroll.signature header is not a hex HMAC-SHA256",
                check.problem(withHeaders(r, h -> replace(h, VersionSignatures.HEADER, "forged"))));
    }

    private static List<Header> replace(List<Header> headers, String key, String value) {
        headers.replaceAll(h -> h.key().equals(key) ? header(key, value) : h);
        return headers;
    }

    @Test
    void readersWithTheKeyRefuseWhatReadersWithoutItTake() {
        TrainingSpec spec = spec();
        ConsumerRecord<byte[], byte[]> forged = signedVersion(spec, OTHER);
        assertEquals(3, new ParameterRecords(spec.network(), spec.limits()).read(forged).version, "unsigned readers take it");
        RefusedRecordException refused = assertThrows(RefusedRecordException.class,
                () -> new ParameterRecords(spec.network(), spec.limits(), KEY).read(forged));
        assertEquals("its signature does not match its contents", refused.getMessage());

        // serving's source hands the refusal on, with the record's bytes and coordinates, for its operator to dead-letter
        ParameterVersionDeserializer serving = new ParameterVersionDeserializer(spec, KEY);
        serving.open(null);
        List<ParameterVersion> out = new ArrayList<>();
        Collector<ParameterVersion> collect = new Collector<>() {
            @Override
            public void collect(ParameterVersion v) {
                out.add(v);
            }

            @Override
            public void close() {
            }
        };
        serving.deserialize(forged, collect);
        serving.deserialize(signedVersion(spec, KEY), collect);
        assertEquals(2, out.size());
        assertNotNull(out.get(0).refused);
        assertEquals("predict", out.get(0).refused.stage);
        assertEquals(42, out.get(0).refused.offset);
        assertArrayEquals(forged.value(), out.get(0).refused.value);
        assertTrue(out.get(0).refused.reason.startsWith("params/0@42: parameter record refused: its signature does not"),
                out.get(0).refused.reason);
        assertNull(out.get(1).refused);
        assertEquals(3, out.get(1).version);
    }
}
