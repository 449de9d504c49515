package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Gradients;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Sequence;
import dev.unroll.model.Optimizer;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.unroll.format.SequenceCodec;
import dev.unroll.format.SequenceJson;

/** The three stateful operators alone, through Flink's operator test harnesses: no broker, no cluster. */
class OperatorHarnessTest {
    @TempDir
    Path dir;
    private Network net;

    @BeforeEach
    void network() throws Exception {
        Files.copy(TestSupport.examples().resolve("training/j2-tanh-b7/network.json"), dir.resolve("network.json"));
    }

    private TrainingSpec spec(int batchSize, int staleness, int shards, String extra) throws Exception {
        Files.writeString(dir.resolve("job.yaml"), "name: harness\nnetwork: network.json\ntraining:\n  batchSize: "
                + batchSize + "\n  learningRate: 0.1\n  staleness: " + staleness + "\n" + extra);
        JobConfig config = JobConfig.read(dir.resolve("job.yaml"));
        net = config.loadNetwork();
        return TrainingSpec.of(config, net, shards);
    }

    /** The record read at {@code offset}, the {@code offset}-th the job read: a sequence of 2 steps. */
    private static SequenceItem item(long offset) {
        return item(offset, 2);
    }

    private static SequenceItem item(long offset, int steps) {
        SequenceItem i = new SequenceItem();
        i.topic = "t";
        i.offset = offset;
        i.position = offset;
        i.sequence = SequenceCodec.encode(new Sequence("s" + offset, steps, null, null, null, 0, List.of()));
        return i;
    }

    private static SequenceItem rejected(long offset) {
        SequenceItem i = item(offset);
        i.sequence = null;
        return i;
    }

    private static KeyedOneInputStreamOperatorTestHarness<Integer, SequenceItem, Shard> batcher(TrainingSpec spec)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new Batcher(spec)), i -> 0, Types.INT);
    }

    private static List<Shard> shards(OneInputStreamOperatorTestHarness<?, Shard> h) {
        return h.extractOutputValues();
    }

    @Test
    void theBatcherCutsTheTrainersChunksSharesThemOutAndClosesWithAShortLastBatch() throws Exception {
        try (var h = batcher(spec(5, 0, 2, ""))) {
            h.open();
            int[] steps = {3, 5, 3, 3, 5, 2, 2, 2};
            for (int k = 0; k < steps.length; k++) {
                h.processElement(item(k, steps[k]), 0);
            }
            List<Shard> out = shards(h);
            assertEquals(2, out.size(), "one full batch, two shards");
            // the trainer's chunks of batch 0: the three of length 3, then the two of length 5
            assertEquals(List.of(0L, 2L, 3L), Arrays.stream(out.get(0).items).map(i -> i.offset).toList());
            assertArrayEquals(new int[] {3}, out.get(0).chunkSizes);
            assertEquals(0, out.get(0).firstChunk);
            assertEquals(List.of(1L, 4L), Arrays.stream(out.get(1).items).map(i -> i.offset).toList());
            assertArrayEquals(new int[] {2}, out.get(1).chunkSizes);
            assertEquals(1, out.get(1).firstChunk);
            assertTrue(out.stream().allMatch(s -> s.batch == 0 && s.shards == 2 && !s.last));
            h.processWatermark(new Watermark(Long.MAX_VALUE)); // the end of a bounded input
            out = shards(h);
            assertEquals(4, out.size());
            assertTrue(out.get(2).last && out.get(3).last && out.get(2).batch == 1);
            assertEquals(List.of(5L, 6L, 7L), Arrays.stream(out.get(2).items).map(i -> i.offset).toList(),
                    "one chunk is not cut: it goes to one instance");
            assertEquals(0, out.get(3).items.length);
            assertEquals(1, out.get(3).firstChunk, "an empty shard after the batch's one chunk");
        }
    }

    @Test
    void chunksAreSharedOutInRunsOfAboutEqualWork() {
        // work per chunk (sequences x steps): 16, 16, 16, 16
        int[][] four = {{0, 1}, {2, 3}, {4, 5}, {6, 7}};
        int[] eight = {8, 8, 8, 8, 8, 8, 8, 8};
        assertArrayEquals(new int[] {0, 4}, Batcher.firstChunks(four, eight, 1));
        assertArrayEquals(new int[] {0, 2, 4}, Batcher.firstChunks(four, eight, 2));
        assertArrayEquals(new int[] {0, 1, 3, 4}, Batcher.firstChunks(four, eight, 3));
        assertArrayEquals(new int[] {0, 1, 2, 2, 3, 4}, Batcher.firstChunks(four, eight, 5));
        // one long chunk (8 x 30) and three short ones (2 x 4 each): the long one alone
        int[][] mixed = {{0, 1, 2, 3, 4, 5, 6, 7}, {8, 9}, {10, 11}, {12, 13}};
        int[] steps = {30, 30, 30, 30, 30, 30, 30, 30, 4, 4, 4, 4, 4, 4};
        assertArrayEquals(new int[] {0, 1, 4}, Batcher.firstChunks(mixed, steps, 2));
        assertArrayEquals(new int[] {0, 0, 0}, Batcher.firstChunks(new int[0][], new int[0], 2), "an empty batch");
    }

    @Test
    void theBatcherPutsRecordsFromParallelDecodersBackInReadOrderAndSkipsRejectedOnes() throws Exception {
        try (var h = batcher(spec(3, 0, 1, ""))) {
            h.open();
            // decoder 0 had records 0, 2, 4, 6; decoder 1 records 1, 3, 5 (3 rejected): they interleave anyhow
            for (SequenceItem i : List.of(item(0), item(2), item(4), rejected(3), item(6), item(1), item(5))) {
                h.processElement(i, 0);
            }
            List<Shard> out = shards(h);
            assertEquals(2, out.size(), "two full batches of the six valid records");
            assertEquals(List.of(0L, 1L, 2L), Arrays.stream(out.get(0).items).map(i -> i.offset).toList());
            assertEquals(List.of(4L, 5L, 6L), Arrays.stream(out.get(1).items).map(i -> i.offset).toList());
        }
    }

    @Test
    void recordsAreNumberedInReadOrderAndARestoredJobNumbersOnFromItsCheckpoint() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new NumberRecords()))) {
            h.open();
            for (long offset = 10; offset < 13; offset++) {
                h.processElement(new RawRecord("t", 0, offset, null, null), 0);
            }
            assertEquals(List.of(0L, 1L, 2L), h.extractOutputValues().stream().map(r -> r.position).toList());
            snapshot = h.snapshot(1, 1);
        }
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new NumberRecords()))) {
            h.initializeState(snapshot);
            h.open();
            // the source goes on from the checkpoint's offsets: offset 13 is the fourth record read
            h.processElement(new RawRecord("t", 0, 13, null, null), 0);
            assertEquals(List.of(3L), h.extractOutputValues().stream().map(r -> r.position).toList());
        }
    }

    @Test
    void aBatchEndingAtTheEndOfInputIsFollowedByAnEmptyLastOneAndEmptyShardsAreSent() throws Exception {
        try (var h = batcher(spec(2, 0, 3, ""))) {
            h.open();
            h.processElement(item(0), 0);
            h.processElement(item(1), 0);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Shard> out = shards(h);
            assertEquals(6, out.size(), "every shard of every batch, even empty");
            assertEquals(0, out.get(0).items.length, "batch 0, shard 0 of 3 holds none of the 2");
            assertTrue(out.subList(3, 6).stream().allMatch(s -> s.last && s.batch == 1 && s.items.length == 0));
        }
    }

    @Test
    void theBatcherResumesItsPartialBatchAndNumberingFromASnapshot() throws Exception {
        TrainingSpec spec = spec(4, 0, 1, "");
        OperatorSubtaskState snapshot;
        try (var h = batcher(spec)) {
            h.open();
            for (long k = 0; k < 6; k++) {
                h.processElement(item(k), 0);
            }
            snapshot = h.snapshot(1, 1);
        }
        try (var h = batcher(spec)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(item(6), 0);
            h.processElement(item(7), 0);
            List<Shard> out = shards(h);
            assertEquals(1, out.size());
            assertEquals(1, out.get(0).batch, "numbering goes on");
            assertEquals(List.of(4L, 5L, 6L, 7L), Arrays.stream(out.get(0).items).map(i -> i.offset).toList());
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<Integer, ShardGradient, ParameterVersion> aggregator(
            TrainingSpec spec) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AggregateGradients(spec)),
                g -> 0, Types.INT);
    }

    /** Shard {@code shard} of {@code shards} of batch {@code batch}: a gradient of {@code value} everywhere, over {@code count} sequences. */
    private ShardGradient sum(long batch, int shard, int shards, long count, double value) {
        int n = net.units();
        double[] w = new double[n * n];
        double[] b = new double[n];
        double[] s = new double[n];
        Arrays.fill(w, value);
        Arrays.fill(b, value);
        Arrays.fill(s, value);
        Shard cut = new Shard(batch, shard, shards, false, shard, new int[0], new SequenceItem[0]);
        return new ShardGradient(cut, 0, List.of(new Gradients(n, w, b, s, 0.5 * count, count)));
    }

    @Test
    void theAggregatorWaitsForEveryShardDropsDuplicatesAndCountsEmptyBatches() throws Exception {
        try (var h = aggregator(spec(4, 0, 2, ""))) {
            h.open();
            h.processElement(sum(0, 1, 2, 2, 1.0), 0);
            assertEquals(0, h.extractOutputValues().size(), "batch 0 waits for its shard 0");
            h.processElement(sum(0, 0, 2, 2, 1.0), 0);
            List<ParameterVersion> out = h.extractOutputValues();
            assertEquals(1, out.size());
            assertEquals(1, out.get(0).version);
            assertEquals(4, out.get(0).batchSize);
            // the two shards' sums (1.0 each, so 2.0 in all) averaged over the batch's 4 sequences
            Parameters expected = Optimizer.Settings.plain(0.1).create().step(net.parameters(),
                    sum(0, 0, 1, 4, 2.0).parts().get(0), 0);
            assertArrayEquals(expected.weights, out.get(0).weights, 0.0);

            h.processElement(sum(0, 0, 2, 2, 9.0), 0); // a shard sum of a batch already applied (a replay)
            assertEquals(1, h.extractOutputValues().size(), "dropped");
            h.processElement(sum(1, 0, 2, 0, 0.0), 0);
            h.processElement(sum(1, 1, 2, 0, 0.0), 0); // every sequence of batch 1 dead-lettered
            ParameterVersion empty = h.extractOutputValues().get(1);
            assertEquals(2, empty.version, "an empty batch still gives the next version, which BPTT waits for");
            assertEquals(0, empty.batchSize);
            assertArrayEquals(out.get(0).weights, empty.weights, 0.0);
        }
    }

    @Test
    void theAggregatorRestoresMomentumAndRepublishesItsLastVersionsUnderItsEpoch() throws Exception {
        TrainingSpec spec = spec(2, 1, 1, "  momentum: 0.9\n");
        List<ParameterVersion> uninterrupted;
        try (var h = aggregator(spec)) {
            h.open();
            for (long b = 0; b < 4; b++) {
                h.processElement(sum(b, 0, 1, 2, 0.1 * (b + 1)), 0);
            }
            uninterrupted = h.extractOutputValues();
        }
        OperatorSubtaskState snapshot;
        try (var h = aggregator(spec)) {
            h.open();
            for (long b = 0; b < 2; b++) {
                h.processElement(sum(b, 0, 1, 2, 0.1 * (b + 1)), 0);
            }
            snapshot = h.snapshot(1, 1);
        }
        try (var h = aggregator(spec)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(ShardGradient.announcement(0), 0);
            List<ParameterVersion> republished = h.extractOutputValues();
            assertEquals(List.of(1L, 2L), republished.stream().map(v -> v.version).sorted().toList(),
                    "its newest S + 1 versions");
            assertTrue(republished.stream().allMatch(v -> spec.epoch(0).equals(v.epoch)), "under this attempt's epoch");
            for (long b = 2; b < 4; b++) {
                h.processElement(sum(b, 0, 1, 2, 0.1 * (b + 1)), 0);
            }
            List<ParameterVersion> out = h.extractOutputValues();
            ParameterVersion last = out.get(out.size() - 1);
            assertEquals(4, last.version);
            assertArrayEquals(uninterrupted.get(3).weights, last.weights, 0.0, "momentum's velocity was restored");
        }
    }

    @Test
    void bpttWaitsForItsVersionAndTakesOnlyItsOwnEpochs() throws Exception {
        TrainingSpec spec = spec(2, 0, 1, "");
        InMemoryTopic<ParameterVersion> topic = new InMemoryTopic<>();
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new BpttShard(spec, InMemoryTopic.feed(topic))))) {
            h.open();
            String seq = "{\"steps\": 2, \"targets\": [{\"t\": 2, \"units\": [0], \"values\": [0.5]}]}";
            SequenceItem one = new SequenceItem(new RawRecord("t", 0, 0, null, null),
                    dev.unroll.format.SequenceCodec.encode(dev.unroll.format.SequenceJson.parse(seq, "s", net, spec.limits())));
            h.processElement(new Shard(0, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);
            List<ShardGradient> out = h.extractOutputValues();
            assertTrue(out.get(0).announcement, "an instance announces itself before its first shard");
            assertEquals(0, out.get(1).version, "batch 0 at version 0, the job's network, without waiting");

            Parameters moved = net.parameters().copy();
            moved.weights[0] += 1;
            ParameterVersion foreign = new ParameterVersion("harness", 1, moved);
            foreign.epoch = "another-run/0";
            ParameterVersion own = new ParameterVersion("harness", 1, net.parameters());
            own.epoch = spec.epoch(0);
            topic.append(foreign);
            // batch 1 needs version 1: it waits until its own epoch's version 1 is published
            CompletableFuture<Void> publish = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                topic.append(own);
            });
            h.processElement(new Shard(1, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);
            publish.get(10, TimeUnit.SECONDS);
            ShardGradient second = h.extractOutputValues().get(2);
            assertEquals(1, second.version);
            assertArrayEquals(out.get(1).weights[0], second.weights[0], 0.0, "computed at its own version 1 (equal to"
                    + " version 0 here), not at the other run's moved one");
            assertFalse(second.announcement);
        }
    }

    private static final AtomicInteger READERS_CLOSED = new AtomicInteger();

    @Test
    void bpttBesideTheAggregatorTakesItsVersionsFromTheBoardAndClosesItsTopicReader() throws Exception {
        TrainingSpec spec = spec(2, 0, 1, "");
        assertTrue(spec.inProcessVersions(), "the default");
        InMemoryTopic<ParameterVersion> topic = new InMemoryTopic<>();
        READERS_CLOSED.set(0);
        VersionFeed counting = s -> {
            VersionFeed.Reader r = InMemoryTopic.feed(topic).open(s);
            return new VersionFeed.Reader() {
                @Override
                public List<ParameterVersion> poll(Duration timeout) {
                    return r.poll(timeout);
                }

                @Override
                public void close() {
                    READERS_CLOSED.incrementAndGet();
                    r.close();
                }
            };
        };
        String epoch = spec.epoch(0);
        VersionBoard board = VersionBoard.open(epoch, 0);
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new BpttShard(spec, counting)))) {
            h.open();
            String seq = "{\"steps\": 2, \"targets\": [{\"t\": 2, \"units\": [0], \"values\": [0.5]}]}";
            SequenceItem one = new SequenceItem(new RawRecord("t", 0, 0, null, null),
                    dev.unroll.format.SequenceCodec.encode(dev.unroll.format.SequenceJson.parse(seq, "s", net, spec.limits())));
            h.processElement(new Shard(0, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);
            assertEquals(0, READERS_CLOSED.get(), "batch 0 needs no version from anywhere");
            for (long v = 1; v <= 2; v++) {
                ParameterVersion own = new ParameterVersion("harness", v, net.parameters());
                own.epoch = epoch;
                board.post(own);
                h.processElement(new Shard(v, 0, 1, false, 0, new int[] {1}, new SequenceItem[] {one}), 0);
                assertEquals(v, h.extractOutputValues().get((int) v + 1).version, "batch " + v + " at its version, from the board");
                assertEquals(1, READERS_CLOSED.get(), "the topic reader is closed once the board is found");
            }
        } finally {
            VersionBoard.close(epoch, board);
        }
        assertEquals(1, READERS_CLOSED.get(), "and not closed again with the operator");
        assertTrue(topic.records().isEmpty(), "nothing came from the topic");
    }
}
