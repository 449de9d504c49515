package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Prediction;
import dev.unroll.model.Prequential;
import dev.unroll.format.SequenceCodec;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-key predictions through Flink's operator harnesses: the router names each request's key
 * (its field, else its record key; neither is a dead letter), and the keyed predictor answers with
 * that key's newest version, or the job's network (version 0) for a key with none yet.
 */
class PredictPerKeyTest {
    @Test
    void eachKeyIsAnsweredWithItsOwnNewestModel() throws Exception {
        JobConfig config = JobConfig.read(PerKeyJobTest.PK1.resolve("job.yaml"));
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, 1);
        String line = Files.readAllLines(PerKeyJobTest.PK1.resolve("data.jsonl")).get(0)
                .replaceFirst(",\\s*\"key\":\\s*\"[^\"]*\"", "");
        Sequence seq = SequenceJson.parse(line, "test", net, config.limits());

        OneInputStreamOperatorTestHarness<RawRecord, KeyedRequest> route =
                ProcessFunctionTestHarnesses.forProcessFunction(new RouteRequests(spec));
        route.processElement(request(0, null, line.replaceFirst("\\{", "{\"key\": \"pump-1\", ")), 0);
        route.processElement(request(1, "pump-2", line), 0);
        route.processElement(request(2, "pump-1", line), 0);
        route.processElement(request(3, null, line), 0);
        List<KeyedRequest> routed = route.extractOutputValues();
        assertEquals(List.of("pump-1", "pump-2", "pump-1"), routed.stream().map(r -> r.key).toList());
        List<StreamRecord<DeadLetter>> dead = List.copyOf(route.getSideOutput(DecodeSequences.DEAD_LETTERS));
        assertEquals(1, dead.size(), "the request with no key at all");
        assertTrue(dead.get(0).getValue().reason.contains("key: missing"), dead.get(0).getValue().reason);

        Parameters p1 = net.parameters().copy();
        for (int k = 0; k < p1.weights.length; k++) {
            p1.weights[k] += 0.1 * Math.sin(k);
        }
        KeyedTwoInputStreamOperatorTestHarness<String, KeyedRequest, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new PredictPerKey(spec), r -> r.key, v -> v.key,
                        Types.STRING);
        h.processElement2(version(spec, "pump-1", 2, p1), 0);
        h.processElement2(version(spec, "pump-1", 1, net.parameters()), 0);   // older: ignored
        for (KeyedRequest r : routed) {
            h.processElement1(r, 0);
        }
        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(List.of(2L, 0L, 2L), out.stream().map(r -> r.version).toList());
        assertArrayEquals(Prediction.of(net.withParameters(p1), seq).outputs(), out.get(0).outputs);
        assertArrayEquals(Prediction.of(net, seq).outputs(), out.get(1).outputs, "no model yet: the job's network");
        assertEquals("pump-1", new String(out.get(2).key, StandardCharsets.UTF_8), "the request's record key");
        h.close();
        route.close();
    }

    @Test
    void eachKeyHasItsOwnServingGate(@TempDir Path dir) throws Exception {
        Files.copy(PerKeyJobTest.PK1.resolve("network.json"), dir.resolve("network.json"));
        JobConfig config = JobConfig.read(Files.writeString(dir.resolve("gated.yaml"), "network: network.json\n"
                + "training:\n  models: per-key\nserving:\n  gateFactor: 2\n"));
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, 1);
        String line = Files.readAllLines(PerKeyJobTest.PK1.resolve("data.jsonl")).get(0);
        Sequence seq = SequenceJson.parse(line, "test", net, config.limits());
        KeyedTwoInputStreamOperatorTestHarness<String, KeyedRequest, ParameterVersion, PredictionRecord> h =
                ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new PredictPerKey(spec), r -> r.key, v -> v.key,
                        Types.STRING);
        List<Parameters> params = new ArrayList<>();
        double[] losses = {4.0, 3.0, 50.0};   // version v + 1 measures version v
        for (int v = 1; v <= 3; v++) {
            Parameters p = net.parameters().copy();
            p.biases[0] += v;
            params.add(p);
            ParameterVersion version = version(spec, "pump-1", v, p);
            version.setFigures(v - 1, new Prequential.Figures(losses[v - 1], Double.NaN, losses[v - 1],
                    Double.NaN, 4, losses[v - 1], Double.NaN));
            h.processElement2(version, 0);
        }
        byte[] encoded = SequenceCodec.encode(seq);
        h.processElement1(new KeyedRequest(request(0, "pump-1", line), "pump-1", encoded), 0);
        h.processElement1(new KeyedRequest(request(1, "pump-2", line), "pump-2", encoded), 0);
        List<PredictionRecord> out = h.extractOutputValues();
        assertEquals(List.of(1L, 0L), out.stream().map(r -> r.version).toList(),
                "pump-1: version 1 passed (3 <= 2 x 4), version 2 failed (50 > 2 x 3); pump-2 has none");
        assertEquals(List.of(2L, -1L), out.stream().map(r -> r.heldBack).toList());
        assertArrayEquals(Prediction.of(net.withParameters(params.get(0)), seq).outputs(), out.get(0).outputs);
        h.close();
    }

    private static RawRecord request(long offset, String key, String json) {
        return new RawRecord("requests", 0, offset, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static ParameterVersion version(TrainingSpec spec, String key, long v, Parameters p) {
        ParameterVersion version = new ParameterVersion(spec.job(), v, p);
        version.key = key;
        return version;
    }
}
