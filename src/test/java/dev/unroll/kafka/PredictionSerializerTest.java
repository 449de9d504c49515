package dev.unroll.kafka;

import dev.unroll.model.Prediction;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A prediction record's value and headers: the held-back version and staleness only where they apply. */
class PredictionSerializerTest {
    private static PredictionRecord answer() {
        RawRecord request = new RawRecord("unroll.j.requests", 1, 77, "k".getBytes(StandardCharsets.UTF_8), new byte[0]);
        return new PredictionRecord(request, 12, new Prediction("a7", 1, new double[] {0.25}, false, Double.NaN));
    }

    @Test
    void aPlainAnswerSaysItsVersionOnly() {
        ProducerRecord<byte[], byte[]> r = new PredictionSerializer("j", "out").serialize(answer(), null, null);
        assertEquals("{\"id\":\"a7\",\"outputs\":[[0.25]],\"version\":12,\"request\":{\"topic\":\"unroll.j.requests\","
                + "\"partition\":1,\"offset\":77}}", new String(r.value(), StandardCharsets.UTF_8));
        assertNull(r.headers().lastHeader(PredictionSerializer.HELD_BACK));
        assertNull(r.headers().lastHeader(PredictionSerializer.STALE));
    }

    @Test
    void aGatedStaleAnswerSaysWhatWasHeldBackAndHowOldItsVersionIs() {
        PredictionRecord a = answer();
        a.heldBack = 15;
        a.modelAgeMs = 830;
        a.stale = true;
        ProducerRecord<byte[], byte[]> r = new PredictionSerializer("j", "out").serialize(a, null, null);
        assertEquals("{\"id\":\"a7\",\"outputs\":[[0.25]],\"version\":12,\"heldBack\":15,\"modelAgeMs\":830,\"stale\":true,"
                + "\"request\":{\"topic\":\"unroll.j.requests\",\"partition\":1,\"offset\":77}}",
                new String(r.value(), StandardCharsets.UTF_8));
        assertEquals("15", new String(r.headers().lastHeader(PredictionSerializer.HELD_BACK).value(), StandardCharsets.UTF_8));
        assertEquals("true", new String(r.headers().lastHeader(PredictionSerializer.STALE).value(), StandardCharsets.UTF_8));
    }
}
