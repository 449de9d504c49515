package dev.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.TestSupport;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the operators do with a record their reader of the parameters topic refused (its signature
 * fails): dead-letter it and go on without it, through Flink's operator test harnesses.
 */
class RefusedVersionsTest {
    @TempDir
    Path dir;

    private TrainingSpec spec() throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j2-tanh-b7/network.json"), dir.resolve("network.json"));
        Files.writeString(dir.resolve("job.yaml"), "name: harness\nnetwork: network.json\ntraining:\n  batchSize: 1\n");
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        return TrainingSpec.of(config, config.loadNetwork(), 1);
    }

    private static ParameterVersion refusal(long offset) {
        return ParameterVersion.refusal(new DeadLetter("params", 0, offset, null, "forged".getBytes(StandardCharsets.UTF_8),
                "bptt", "params/0@" + offset + ": parameter record refused: not signed"));
    }

    @Test
    void bpttDeadLettersARefusedRecordOfItsFeedAndWaitsForItsOwnVersion() throws Exception {
        TrainingSpec spec = spec();
        Network net = spec.network();
        InMemoryTopic<ParameterVersion> topic = new InMemoryTopic<>();
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new BpttShard(spec, InMemoryTopic.feed(topic))))) {
            h.open();
            String seq = "{\"steps\": 2, \"targets\": [{\"t\": 2, \"units\": [0], \"values\": [0.5]}]}";
            SequenceItem one = new SequenceItem(new RawRecord("t", 0, 0, null, null),
                    SequenceCodec.encode(SequenceJson.parse(seq, "s", net, spec.limits())));
            h.processElement(new Shard(0, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);

            ParameterVersion own = new ParameterVersion("harness", 1, net.parameters());
            own.epoch = spec.epoch(0);
            topic.append(refusal(7));
            topic.append(own);
            h.processElement(new Shard(1, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);

            List<ShardGradient> out = h.extractOutputValues();
            assertEquals(1, out.get(2).version, "batch 1 at version 1, the job's own");
            assertArrayEquals(out.get(1).weights[0], out.get(2).weights[0], 0.0, "version 1 equals version 0 here");
            List<DeadLetter> dead = h.getSideOutput(DecodeSequences.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
            assertEquals(1, dead.size());
            assertEquals(7, dead.get(0).offset);
            assertEquals("bptt", dead.get(0).stage);
            assertArrayEquals("forged".getBytes(StandardCharsets.UTF_8), dead.get(0).value, "kept byte for byte");
        }
    }

    @Test
    void servingPassesItsVersionsOnAndDeadLettersTheRefusedOnes() throws Exception {
        Parameters p = spec().network().parameters();
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new DropRefusedVersions()))) {
            h.open();
            h.processElement(new ParameterVersion("harness", 1, p), 0);
            h.processElement(refusal(3), 0);
            h.processElement(new ParameterVersion("harness", 2, p), 0);
            assertEquals(List.of(1L, 2L), h.extractOutputValues().stream().map(v -> v.version).toList());
            List<DeadLetter> dead = h.getSideOutput(DecodeSequences.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
            assertEquals(List.of(3L), dead.stream().map(d -> d.offset).toList());
        }
    }
}
