package dev.unroll.model;

import dev.unroll.format.NetworkJson;
import dev.unroll.format.SequenceJson;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A batch's gradient sum has the same bits however its chunks are shared out, as the streaming
 * job shares them among its BPTT instances: runs of consecutive chunks, the run that begins the
 * batch added up by its instance, the others' chunk sums sent apart, all added in chunk order by
 * the aggregator. A chunk that overflows is summed one sequence at a time, in the trainer and in
 * an instance alike.
 */
class GradientSumTest {
    @Test
    void sharedOutInRunsOfChunksTheBatchSumHasTheSameBits() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (BatchBpttTest.Batch b : BatchBpttTest.batches()) {
            Gradients whole = GradientSum.finite(b.net(), b.seqs(), k -> {
                throw new AssertionError("nothing overflows here");
            });
            List<List<Sequence>> chunks = chunks(b.seqs());
            for (int instances = 1; instances <= 4; instances++) {
                // a random run of chunks per instance, some of them empty
                int[] first = rnd.ints(instances - 1, 0, chunks.size() + 1).sorted().toArray();
                List<Gradients> parts = new ArrayList<>();
                for (int s = 0; s < instances; s++) {
                    int from = s == 0 ? 0 : first[s - 1];
                    int to = s == instances - 1 ? chunks.size() : first[s];
                    List<Gradients> sums = GradientSum.chunkSums(b.net(), chunks.subList(from, to), (c, k) -> {
                        throw new AssertionError("nothing overflows here");
                    });
                    parts.addAll(from == 0 ? List.of(GradientSum.inOrder(b.net().units(), sums)) : sums);
                }
                Gradients shared = GradientSum.total(b.net(), parts);
                String what = b + " on " + instances + " instances";
                assertArrayEquals(whole.weights, shared.weights, what + ": weights");
                assertArrayEquals(whole.biases, shared.biases, what + ": biases");
                assertArrayEquals(whole.initialState, shared.initialState, what + ": initialState");
                assertEquals(whole.loss, shared.loss, 0.0, what + ": loss");
                assertEquals(whole.count, shared.count, what + ": count");
            }
        }
    }

    @Test
    void aChunkThatOverflowsIsSummedOneSequenceAtATimeWithoutTheSequence() {
        // linear units with weights 3: the states grow as 9^t and overflow long before t = 1000
        Network net = NetworkJson.parse("{\"units\": 2, \"activation\": \"linear\", \"weights\": [[3,3],[3,3]],"
                + " \"biases\": [0,0], \"initialState\": [0.5,0.5]}", "net", Limits.DEFAULT);
        Sequence small = SequenceJson.parse("{\"steps\": 2, \"targets\": [{\"t\": 2, \"units\": [0], \"values\": [1]}]}",
                "small", net, Limits.DEFAULT);
        Sequence huge = SequenceJson.parse("{\"steps\": 1000, \"targets\": [{\"t\": 1000, \"units\": [0], \"values\": [1]}]}",
                "huge", net, Limits.DEFAULT);
        Sequence other = SequenceJson.parse("{\"steps\": 1000, \"targets\": [{\"t\": 999, \"units\": [1], \"values\": [0]}]}",
                "other", net, Limits.DEFAULT);
        List<Sequence> batch = List.of(small, huge, small, other);
        List<Integer> leftOut = new ArrayList<>();
        Gradients sum = GradientSum.finite(net, batch, leftOut::add);
        assertEquals(List.of(1, 3), leftOut, "both long ones overflow");
        assertEquals(2, sum.count);
        // the chunk of the small ones is summed as a whole, the overflowing chunk one at a time
        Gradients smallOnes = GradientSum.of(net, List.of(small, small));
        assertArrayEquals(smallOnes.weights, sum.weights);

        List<int[]> told = new ArrayList<>();
        List<Gradients> sums = GradientSum.chunkSums(net, chunks(batch), (c, k) -> told.add(new int[] {c, k}));
        assertEquals(2, sums.size());
        assertEquals(List.of("1:0", "1:1"), told.stream().map(t -> t[0] + ":" + t[1]).toList(), "chunk 1, both its sequences");
        assertArrayEquals(sum.weights, GradientSum.total(net, sums).weights);
    }

    private static List<List<Sequence>> chunks(List<Sequence> seqs) {
        int[] steps = seqs.stream().mapToInt(Sequence::steps).toArray();
        List<List<Sequence>> chunks = new ArrayList<>();
        for (int[] chunk : GradientSum.chunks(steps)) {
            List<Sequence> c = new ArrayList<>();
            for (int k : chunk) {
                c.add(seqs.get(k));
            }
            chunks.add(c);
        }
        return chunks;
    }
}
