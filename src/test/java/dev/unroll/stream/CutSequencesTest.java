package dev.unroll.stream;

import dev.unroll.events.Assembler;
import dev.unroll.events.Cut;
import dev.unroll.events.Event;
import dev.unroll.events.EventJobs;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.EventRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cutting and ordering operators alone, through Flink's keyed operator test harness. */
class CutSequencesTest {
    private static final long BOUND = 3_000;

    @TempDir
    Path dir;

    private static KeyedOneInputStreamOperatorTestHarness<String, Event, CutItem> cutter(TrainingSpec spec)
            throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new CutSequences(spec, true)),
                (Event e) -> e.key, Types.STRING);
        h.open();
        return h;
    }

    private static Event parse(TrainingSpec spec, String line, long offset) {
        EventRecord r = new ParseEvents(spec).parse(new RawRecord("events", 0, offset, null,
                line.getBytes(StandardCharsets.UTF_8)));
        assertNotNull(r.event, () -> r.rejected.reason);
        return r.event;
    }

    private static List<String> sequences(List<CutItem> items) {
        return items.stream().map(i -> SequenceJson.write(SequenceCodec.decode(i.sequence))).toList();
    }

    /**
     * Events arrive out of order within the bound and watermarks come at random moments, as
     * Flink's periodic watermarks do: the operator cuts exactly what the offline rule cuts.
     */
    @ParameterizedTest
    @ValueSource(strings = {EventJobs.COUNT, EventJobs.SESSION})
    void outOfOrderEventsAreCutAsTheOfflineRuleCutsThem(String window) throws Exception {
        JobConfig config = EventJobs.write(dir, window, BOUND, "one");
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, 1);
        List<String> lines = EventJobs.readings(4, 60, BOUND, 3);
        Assembler offline = spec.events().assembler();
        Random random = new Random(5);
        var h = cutter(spec);
        long newest = Long.MIN_VALUE;
        for (int k = 0; k < lines.size(); k++) {
            Event e = parse(spec, lines.get(k), k);
            offline.add(parse(spec, lines.get(k), k));
            h.processElement(new StreamRecord<>(e, e.time));
            newest = Math.max(newest, e.time);
            if (random.nextInt(10) == 0) {
                h.processWatermark(new Watermark(newest - BOUND - 1));
            }
        }
        h.processWatermark(new Watermark(Long.MAX_VALUE));
        List<CutItem> got = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                got.add((CutItem) r.getValue());
            }
        }
        got.sort(CutItem.ORDER);
        List<Cut> expected = offline.finish();
        assertTrue(expected.size() > 30, "enough to compare: " + expected.size());
        assertEquals(0, offline.late());
        assertEquals(expected.stream().map(c -> SequenceJson.write(c.sequence())).toList(), sequences(got));
        assertEquals(expected.stream().map(Cut::closes).toList(), got.stream().map(c -> c.closes).toList());
        assertTrue(h.getSideOutput(CutSequences.WINDOWS).size() >= expected.size(), "a window to predict per sequence at least");
        assertEquals(0, h.numEventTimeTimers(), "no timer left after the end of the input");
        if (window.equals(EventJobs.SESSION)) {
            assertEquals(0, h.numKeyedStateEntries(), "a key between sessions holds no state");
        }
        h.close();
    }

    @Test
    void anEventAtOrBehindTheWatermarkIsDeadLetteredAsLate() throws Exception {
        JobConfig config = EventJobs.write(dir, EventJobs.COUNT, BOUND, "one");
        TrainingSpec spec = TrainingSpec.of(config, config.loadNetwork(), 1);
        var h = cutter(spec);
        String line = "{\"device\":\"d\",\"ts\":5000,\"temp\":21}";
        h.processWatermark(new Watermark(5_000));
        Event late = parse(spec, line, 42);
        h.processElement(new StreamRecord<>(late, late.time));
        assertEquals(1, h.getSideOutput(DecodeSequences.DEAD_LETTERS).size());
        DeadLetter d = h.getSideOutput(DecodeSequences.DEAD_LETTERS).peek().getValue();
        assertEquals("events", d.stage);
        assertEquals(42, d.offset);
        assertEquals(line, new String(d.value, StandardCharsets.UTF_8), "the record as it arrived");
        assertTrue(d.reason.contains("late: event time 5000 is at or behind the watermark 5000"), d.reason);
        assertEquals(0, h.numEventTimeTimers());
        h.close();
    }
}
