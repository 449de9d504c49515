package dev.unroll.model;

/**
 * The gradient sum of a group of sequences at one parameter version: the unit of work a BPTT
 * shard emits and the offline trainer adds up per batch.
 */
public final class GradientSum {
    private GradientSum() {
    }

    /** Sums every sequence's full-BPTT gradient in the order given, then masks and ties the sum. */
    public static Gradients of(Network net, Iterable<Sequence> sequences) {
        Gradients sum = new Gradients(net.units());
        for (Sequence seq : sequences) {
            Bptt.accumulate(net, seq, sum);
        }
        net.constrain(sum);
        return sum;
    }
}
