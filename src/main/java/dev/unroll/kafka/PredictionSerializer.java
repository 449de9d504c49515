package dev.unroll.kafka;

import dev.unroll.format.Json;
import dev.unroll.record.PredictionRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import dev.unroll.format.PredictionJson;

/**
 * Writes a prediction with the request's key, as the prediction JSON of {@code predict} plus the
 * version that made it and the request it answers:
 * <pre>{"id": "a7", "outputs": [[0.98], ...], "loss": 0.01, "version": 42,
 *  "request": {"topic": "unroll.NAME.requests", "partition": 0, "offset": 1234}}</pre>
 * and, only where they apply, {@code "heldBack": 45} (a newer version the serving gate held back),
 * {@code "modelAgeMs": 830} (with a freshness bound) and {@code "stale": true} (older than it).
 * The same facts are in headers for kcat's {@code %h}: {@code unroll.job}, {@code unroll.version},
 * {@code unroll.request.topic}, {@code unroll.request.partition}, {@code unroll.request.offset},
 * and {@code unroll.heldBack}, {@code unroll.stale} where they apply.
 */
public class PredictionSerializer implements KafkaRecordSerializationSchema<PredictionRecord> {
    public static final String JOB = "unroll.job";
    public static final String VERSION = "unroll.version";
    public static final String REQUEST_TOPIC = "unroll.request.topic";
    public static final String REQUEST_PARTITION = "unroll.request.partition";
    public static final String REQUEST_OFFSET = "unroll.request.offset";
    public static final String HELD_BACK = "unroll.heldBack";
    public static final String STALE = "unroll.stale";

    private final String job;
    private final String topic;

    public PredictionSerializer(String job, String topic) {
        this.job = job;
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(PredictionRecord r, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(JOB, utf8(job));
        headers.add(VERSION, utf8(Long.toString(r.version)));
        headers.add(REQUEST_TOPIC, utf8(r.topic));
        headers.add(REQUEST_PARTITION, utf8(Integer.toString(r.partition)));
        headers.add(REQUEST_OFFSET, utf8(Long.toString(r.offset)));
        if (r.heldBack >= 0) {
            headers.add(HELD_BACK, utf8(Long.toString(r.heldBack)));
        }
        if (r.stale) {
            headers.add(STALE, utf8("true"));
        }
        return new ProducerRecord<>(topic, null, null, r.key, utf8(json(r)), headers);
    }

    static String json(PredictionRecord r) {
        StringBuilder s = new StringBuilder(128 + r.outputs.length * 20);
        s.append('{');
        PredictionJson.appendFields(r.prediction(), s);
        s.append(",\"version\":").append(r.version);
        if (r.heldBack >= 0) {
            s.append(",\"heldBack\":").append(r.heldBack);
        }
        if (r.modelAgeMs >= 0) {
            s.append(",\"modelAgeMs\":").append(r.modelAgeMs);
        }
        if (r.stale) {
            s.append(",\"stale\":true");
        }
        s.append(",\"request\":{\"topic\":").append(Json.write(r.topic))
                .append(",\"partition\":").append(r.partition)
                .append(",\"offset\":").append(r.offset).append("}}");
        return s.toString();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
