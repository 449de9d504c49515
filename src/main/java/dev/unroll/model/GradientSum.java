package dev.unroll.model;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * The gradient sum of a group of sequences at one parameter version, added up in one fixed order
 * so that it has the same bits whoever computes which part of it: the sequences are cut into
 * chunks by their lengths alone ({@link #chunks}), each chunk is summed on its own
 * ({@link #chunkSums}), and the chunk sums are added in chunk order onto zero, then masked and
 * tied ({@link #total}). The offline trainer does all of it at once ({@link #finite}); the
 * streaming job cuts in its batcher, sums chunks in its BPTT instances and adds in its
 * aggregator, and so gets the trainer's numbers at any parallelism. Rounding in another order
 * would not stay small: with momentum and staleness a trajectory can amplify a difference of one
 * unit in the last place into every digit.
 */
public final class GradientSum {
    /** Told of a sequence left out of a sum because its own gradient is not finite. */
    public interface LeftOut {
        /** sequence {@code index} of chunk {@code chunk} */
        void accept(int chunk, int index);
    }

    private GradientSum() {
    }

    /**
     * The masked and tied gradient sum of the sequences, on the calling thread, by the batched
     * equivalent of {@link Bptt} ({@link BatchBptt}: equal to {@link #plain} up to rounding).
     */
    public static Gradients of(Network net, List<Sequence> sequences) {
        return BatchBptt.sum(net, sequences);
    }

    /** The reference: every sequence's {@link Bptt} gradient added in the order given, then masked and tied. */
    public static Gradients plain(Network net, Iterable<Sequence> sequences) {
        Gradients sum = new Gradients(net.units());
        for (Sequence seq : sequences) {
            Bptt.accumulate(net, seq, sum);
        }
        net.constrain(sum);
        return sum;
    }

    /**
     * How a group of sequences of these lengths is cut into chunks: each chunk as the indices of
     * its sequences, sequences of one length, at most {@value BatchBptt#CHUNK} of them.
     */
    public static int[][] chunks(int[] steps) {
        return BatchBptt.cut(steps, BatchBptt.CHUNK);
    }

    /**
     * The unconstrained sum of each chunk, over the sequences whose own gradient is finite: a chunk
     * whose sum is not finite is summed again one sequence at a time, and a sequence that
     * overflows is left out (and passed to {@code leftOut}) rather than poisoning the update.
     */
    public static List<Gradients> chunkSums(Network net, List<List<Sequence>> chunks, LeftOut leftOut) {
        List<Gradients> sums = BatchBptt.chunkSums(net, chunks);
        for (int c = 0; c < sums.size(); c++) {
            if (!sums.get(c).isFinite()) {
                Gradients sum = new Gradients(net.units());
                List<Sequence> chunk = chunks.get(c);
                for (int k = 0; k < chunk.size(); k++) {
                    Gradients g = new Gradients(net.units());
                    Bptt.accumulate(net, chunk.get(k), g);
                    if (g.isFinite()) {
                        sum.add(g);
                    } else {
                        leftOut.accept(c, k);
                    }
                }
                sums.set(c, sum);
            }
        }
        return sums;
    }

    /**
     * Chunk sums, or runs of them already added by this method, added in chunk order onto zero:
     * the first part may be the first chunks' sum, since the addition begins with them.
     */
    public static Gradients inOrder(int units, List<Gradients> parts) {
        Gradients sum = new Gradients(units);
        for (Gradients part : parts) {
            sum.add(part);
        }
        return sum;
    }

    /** The sum of a group's chunk sums in chunk order ({@link #inOrder}), masked and tied. */
    public static Gradients total(Network net, List<Gradients> parts) {
        Gradients sum = inOrder(net.units(), parts);
        net.constrain(sum);
        return sum;
    }

    /**
     * The masked and tied sum over the sequences whose own gradient is finite, in the order of
     * additions above. The fast path sums everything at once ({@link BatchBptt#sum}, the same
     * chunks added in the same order) and falls back to one chunk at a time only when that
     * overflows. {@code leftOut} is given the index in {@code sequences} of each sequence left out.
     */
    public static Gradients finite(Network net, List<Sequence> sequences, IntConsumer leftOut) {
        Gradients sum = of(net, sequences);
        if (sum.isFinite()) {
            return sum;
        }
        int[][] cut = BatchBptt.cut(BatchBptt.steps(sequences), BatchBptt.CHUNK);
        return total(net, chunkSums(net, BatchBptt.pick(sequences, cut), (c, k) -> leftOut.accept(cut[c][k])));
    }
}
