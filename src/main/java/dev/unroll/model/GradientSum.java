package dev.unroll.model;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * The gradient sum of a group of sequences at one parameter version: the unit of work a BPTT
 * shard emits and the offline trainer adds up per batch.
 */
public final class GradientSum {
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
     * The sum over the sequences whose own gradient is finite: a sequence that overflows is left
     * out (its index is passed to {@code leftOut}) rather than poisoning the update. The fast path
     * sums everything at once and falls back to one sequence at a time only when that overflows.
     */
    public static Gradients finite(Network net, List<Sequence> sequences, IntConsumer leftOut) {
        Gradients sum = of(net, sequences);
        if (sum.isFinite()) {
            return sum;
        }
        sum = new Gradients(net.units());
        for (int k = 0; k < sequences.size(); k++) {
            Gradients g = Bptt.gradient(net, sequences.get(k));
            if (g.isFinite()) {
                sum.add(g);
            } else {
                leftOut.accept(k);
            }
        }
        return sum;
    }
}
