package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The keyed trainer alone, through Flink's keyed operator harness: the limit on keys per subtask
 * (a new key beyond it is dead-lettered with the reason, and the count survives a restore) and
 * the idle-key TTL (a retired key starts again from the job's network).
 */
class KeyedTrainerTest {
    @TempDir
    Path dir;

    private String line;
    private long offset;

    private TrainingSpec spec(String extra) throws Exception {
        Files.copy(PerKeyJobTest.PK1.resolve("network.json"), dir.resolve("network.json"));
        JobConfig config = JobConfig.read(Files.writeString(dir.resolve("job.yaml"), "name: keyed\nnetwork: network.json\n"
                + "training:\n  batchSize: 1\n  models: per-key\n" + extra));
        line = Files.readAllLines(PerKeyJobTest.PK1.resolve("data.jsonl"), StandardCharsets.UTF_8).get(0);
        return TrainingSpec.of(config, config.loadNetwork(), 1);
    }

    private SequenceItem item(TrainingSpec spec, String key) {
        Network net = spec.network();
        SequenceItem item = new SequenceItem(new RawRecord("in", 0, offset++, null, null),
                SequenceCodec.encode(SequenceJson.parse(line, "test", net, spec.limits()).withKey(key)));
        item.key = key;
        return item;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, SequenceItem, ParameterVersion> harness(TrainingSpec spec)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyCountingOperator(new KeyedTrainer(spec)),
                item -> item.key, Types.STRING);
    }

    @Test
    void aNewKeyBeyondTheLimitIsDeadLetteredAndTheCountSurvivesARestore() throws Exception {
        TrainingSpec spec = spec("limits:\n  maxKeysPerSubtask: 2\n");
        var h = harness(spec);
        h.open();
        h.processElement(item(spec, "a"), 0);
        h.processElement(item(spec, "b"), 0);
        h.processElement(item(spec, "c"), 0);
        h.processElement(item(spec, "a"), 0);
        assertEquals(List.of("a:1", "b:1", "a:2"), h.extractOutputValues().stream().map(v -> v.key + ":" + v.version).toList());
        List<DeadLetter> dead = h.getSideOutput(DecodeSequences.DEAD_LETTERS).stream().map(r -> r.getValue()).toList();
        assertEquals(1, dead.size());
        assertEquals(KeyedTrainer.STAGE, dead.get(0).stage);
        assertTrue(dead.get(0).reason.equals("in/0@2: key \"c\" is new, and this trainer subtask already holds 2 keys,"
                + " the limit (limits.maxKeysPerSubtask)"), dead.get(0).reason);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = harness(spec);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(item(spec, "c"), 0);
        restored.processElement(item(spec, "b"), 0);
        assertEquals(List.of("b:2"), restored.extractOutputValues().stream().map(v -> v.key + ":" + v.version).toList());
        assertEquals(1, restored.getSideOutput(DecodeSequences.DEAD_LETTERS).size(), "c is still one key too many");
        restored.close();
    }

    @Test
    void anIdleKeyIsRetiredAndStartsAgainFromTheJobsNetwork() throws Exception {
        TrainingSpec spec = spec("  idleKeyTtlMs: 1000\n");
        var h = harness(spec);
        h.open();
        h.setStateTtlProcessingTime(0);
        h.processElement(item(spec, "a"), 0);
        h.setStateTtlProcessingTime(900);
        h.processElement(item(spec, "a"), 0);   // written at 900: lives until 1900
        h.setStateTtlProcessingTime(1800);
        h.processElement(item(spec, "a"), 0);
        h.setStateTtlProcessingTime(2900);      // idle for 1100 ms: retired
        h.processElement(item(spec, "a"), 0);
        List<ParameterVersion> out = h.extractOutputValues();
        assertEquals(List.of(1L, 2L, 3L, 1L), out.stream().map(v -> v.version).toList());
        assertArrayEquals(out.get(0).weights, out.get(3).weights, "trained again from the job's network, as at first");
        h.close();
    }
}
