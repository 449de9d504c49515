package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;
import dev.unroll.format.AvroTestRecords;
import dev.unroll.format.SequenceAvro;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.ServingGate;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prediction operator alone, through Flink's broadcast operator harness: which version
 * answers, what its broadcast state keeps (one version, the newest), and that it survives a
 * snapshot and restore.
 */
class PredictSequencesTest {
    @TempDir
    Path dir;

    private JobConfig job(String name) throws Exception {
        return job(name, "");
    }

    private JobConfig job(String name, String more) throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j3-tied-b16/network.json"), dir.resolve(name + ".json"));
        return JobConfig.read(Files.writeString(dir.resolve(name + ".yaml"), "name: " + name + "\nnetwork: " + name
                + ".json\n" + more));
    }

    private static Parameters shifted(Network net, double by) {
        Parameters p = net.parameters().copy();
        for (int k = 0; k < p.weights.length; k++) {
            p.weights[k] += by * Math.cos(k);
        }
        return p;
    }

    private static ParameterVersion version(String job, long v, Parameters p) {
        return new ParameterVersion(job, v, p);
    }

    private int offset;

    private RawRecord request(String json) {
        return new RawRecord("requests", 0, offset++, "k".getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void answersWithTheNewestVersionItHasAndKeepsOnlyThatOne() throws Exception {
        JobConfig config = job("harness");
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, 1);
        String line = RandomSequences.jsonLines(net, 21, 1).get(0);
        Sequence seq = SequenceJson.parse(line, "test", net, config.limits());
        Parameters v3 = shifted(net, 0.2);

        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(spec), PredictSequences.GATE);
        h.processElement(request(line), 0);
        h.processBroadcastElement(version("harness", 3, v3), 0);
        h.processElement(request(line), 0);
        h.processBroadcastElement(version("harness", 2, shifted(net, 0.5)), 0);   // older: ignored
        h.processBroadcastElement(version("other-job", 9, shifted(net, 0.7)), 0); // another job's: ignored
        h.processElement(request(line), 0);

        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(List.of(0L, 3L, 3L), out.stream().map(r -> r.version).toList());
        assertArrayEquals(Prediction.of(net, seq).outputs(), out.get(0).outputs);
        Prediction atV3 = Prediction.of(net.withParameters(v3), seq);
        assertArrayEquals(atV3.outputs(), out.get(1).outputs);
        assertArrayEquals(atV3.outputs(), out.get(2).outputs);
        assertEquals(atV3.loss(), out.get(2).loss);
        assertEquals(2, out.get(2).offset, "the request's offset");
        assertEquals("k", new String(out.get(2).key, StandardCharsets.UTF_8), "the request's key");

        BroadcastState<String, ServingGate> state = h.getBroadcastState(PredictSequences.GATE);
        int entries = 0;
        for (Map.Entry<String, ServingGate> e : state.entries()) {
            entries++;
            assertEquals(3, e.getValue().servingVersion);
            assertEquals(0, e.getValue().pending.length, "open, it keeps no version but the one answering");
        }
        assertEquals(1, entries, "one gate held, the job's");

        // restored from a snapshot, it answers with version 3 at once
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> restored = new BroadcastOperatorTestHarness<>(
                new org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator<>(new PredictSequences(spec),
                        List.of(PredictSequences.GATE)), 1, 1, 0);
        restored.setup();
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(request(line), 0);
        assertEquals(3, restored.extractOutputValues().get(0).version);
        assertArrayEquals(atV3.outputs(), restored.extractOutputValues().get(0).outputs);
        restored.close();
    }

    @Test
    void onTheWallClockAnAnswerByAVersionOlderThanTheBoundIsFlagged() throws Exception {
        JobConfig config = job("fresh-wall", "serving:\n  maxModelAgeMs: 60000\n");
        Network net = config.loadNetwork();
        String line = RandomSequences.jsonLines(net, 22, 1).get(0);
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(TrainingSpec.of(config, net, 1)),
                        PredictSequences.GATE);
        h.processElement(request(line), 0);                          // the job's network: of unknown age
        ParameterVersion old = version("fresh-wall", 4, shifted(net, 0.1));
        old.publishedAt = System.currentTimeMillis() - 600_000;
        h.processBroadcastElement(old, 0);
        h.processElement(request(line), 0);
        ParameterVersion fresh = version("fresh-wall", 5, shifted(net, 0.2));
        fresh.publishedAt = System.currentTimeMillis();
        h.processBroadcastElement(fresh, 0);
        h.processElement(request(line), 0);

        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(List.of(0L, 4L, 5L), out.stream().map(r -> r.version).toList());
        assertEquals(List.of(true, true, false), out.stream().map(r -> r.stale).toList(), "flagged, still answered");
        assertEquals(-1, out.get(0).modelAgeMs, "no publish time, no age");
        assertTrue(out.get(1).modelAgeMs >= 600_000, "ten minutes old: " + out.get(1).modelAgeMs);
        assertTrue(out.get(2).modelAgeMs < 60_000, "just published: " + out.get(2).modelAgeMs);
        assertTrue(h.getSideOutput(DecodeSequences.DEAD_LETTERS) == null || h.getSideOutput(DecodeSequences.DEAD_LETTERS).isEmpty());
        h.close();
    }

    @Test
    void onTheEventClockAnAnswerByAVersionOlderThanTheBoundIsDeadLettered() throws Exception {
        JobConfig config = job("fresh-event", "serving:\n  maxModelAgeMs: 1000\n  modelAgeClock: event\n"
                + "  staleModels: dead-letter\n");
        Network net = config.loadNetwork();
        String line = RandomSequences.jsonLines(net, 23, 1).get(0);
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(TrainingSpec.of(config, net, 1)),
                        PredictSequences.GATE);
        ParameterVersion v3 = version("fresh-event", 3, shifted(net, 0.1));
        v3.publishedAt = 1_000_000;
        h.processBroadcastElement(v3, 0);
        for (long timestamp : new long[] {1_000_500, 1_002_000, -1}) {
            RawRecord r = request(line);
            r.timestamp = timestamp;
            h.processElement(r, 0);
        }
        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(1, out.size(), "only the request 500 ms after the version is answered");
        assertEquals(500, out.get(0).modelAgeMs, "the request's time minus the version's");
        assertEquals(false, out.get(0).stale);
        List<DeadLetter> dead = h.getSideOutput(DecodeSequences.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
        assertEquals(List.of("requests/0@1: version 3 is 2000 ms old, older than serving.maxModelAgeMs 1000 (event time)",
                "requests/0@2: version 3 is of unknown age (it has no publish time, or the request no timestamp), older than"
                        + " serving.maxModelAgeMs 1000 (event time)"), dead.stream().map(d -> d.reason).toList());
        assertEquals("predict", dead.get(0).stage);
        assertEquals(1, dead.get(0).offset, "the request's coordinates");
        h.close();
    }

    @Test
    void aBadRequestLeavesThroughTheDeadLetterOutputOnly() throws Exception {
        JobConfig config = job("harness-bad");
        Network net = config.loadNetwork();
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(TrainingSpec.of(config, net, 1)),
                        PredictSequences.GATE);
        h.processElement(request("{\"steps\": 0}"), 0);
        assertTrue(h.extractOutputValues().isEmpty());
        List<StreamRecord<DeadLetter>> dead = List.copyOf(h.getSideOutput(DecodeSequences.DEAD_LETTERS));
        assertEquals(1, dead.size());
        DeadLetter d = dead.get(0).getValue();
        assertEquals("predict", d.stage);
        assertEquals("requests/0@0: steps: must be at least 1, found 0", d.reason);
        h.close();
    }

    /** Requests may come as Avro records too: the same answer, and the same reason for a bad one. */
    @Test
    void anAvroRequestIsAnsweredAsItsJsonIs() throws Exception {
        JobConfig config = job("harness-avro");
        Network net = config.loadNetwork();
        String line = RandomSequences.jsonLines(net, 23, 1).get(0);
        Sequence seq = SequenceJson.parse(line, "test", net, config.limits());
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(TrainingSpec.of(config, net, 1)),
                        PredictSequences.GATE);
        h.processElement(request(line), 0);
        h.processElement(new RawRecord("requests", 0, offset++, null, SequenceAvro.write(seq)), 0);
        h.processElement(new RawRecord("requests", 0, offset++, null, AvroTestRecords.fromJson("{\"steps\": 0, \"targets\": []}")), 0);
        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(2, out.size());
        assertArrayEquals(out.get(0).outputs, out.get(1).outputs);
        assertEquals(out.get(0).loss, out.get(1).loss);
        List<StreamRecord<DeadLetter>> dead = List.copyOf(h.getSideOutput(DecodeSequences.DEAD_LETTERS));
        assertEquals(1, dead.size());
        assertEquals("requests/0@2: steps: must be at least 1, found 0", dead.get(0).getValue().reason);
        h.close();
    }
}
