package dev.unroll.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The offline reference trainer: a plain loop over sequences in order. Every {@code batchSize}
 * sequences it sums the batch's gradients and applies one update; {@link #finish} applies the
 * short last batch, averaged over its own size. Each batch's sums also feed the prequential
 * figures ({@link Prequential}): the batch was scored at a version that had not trained on it.
 *
 * <p>With staleness S, batch k's gradient is taken at version max(0, k - S) while the update is
 * still applied to version k: the rule the streaming job follows when it lets S batches be
 * computed while earlier updates travel. S = 0 is plain synchronous gradient descent.
 */
public final class Trainer {
    private final int batchSize;
    private final int staleness;
    private final Optimizer optimizer;
    private final Prequential prequential;
    private final List<Sequence> batch = new ArrayList<>();
    private final List<Long> leftOut = new ArrayList<>();
    /** Versions max(0, k - S) .. k, oldest first: batch k's gradient is taken at the first. */
    private final Deque<Network> recent = new ArrayDeque<>();
    private Network network;
    private long version;
    private long sequencesTrained;
    private Prequential.Figures figures = Prequential.Figures.NONE;

    public Trainer(Network initial, Optimizer optimizer, int batchSize) {
        this(initial, optimizer, batchSize, 0, Prequential.Settings.DEFAULT);
    }

    public Trainer(Network initial, Optimizer optimizer, int batchSize, int staleness, Prequential.Settings quality) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1");
        }
        if (staleness < 0) {
            throw new IllegalArgumentException("staleness must be 0 or more");
        }
        this.network = initial;
        this.optimizer = optimizer;
        this.prequential = new Prequential(quality);
        this.batchSize = batchSize;
        this.staleness = staleness;
        recent.add(initial);
    }

    public void add(Sequence seq) {
        batch.add(seq);
        if (batch.size() == batchSize) {
            update();
        }
    }

    public Network finish() {
        if (!batch.isEmpty()) {
            update();
        }
        return network;
    }

    /**
     * Sequences whose gradient overflows are left out of their batch, as the streaming job does;
     * a batch left empty by that changes nothing but still counts as a version.
     */
    private void update() {
        Network at = recent.peekFirst();
        Gradients sum = GradientSum.finite(at, batch, k -> leftOut.add(version * batchSize + k));
        if (sum.count > 0) {
            network = network.withParameters(optimizer.step(network.parameters(), sum, version));
            figures = prequential.add(sum);
        } else {
            figures = prequential.current();
        }
        version++;
        recent.addLast(network);
        if (recent.size() > staleness + 1) {
            recent.removeFirst();
        }
        sequencesTrained += sum.count;
        batch.clear();
    }

    /** Positions (0-based, in the order added) of the sequences left out because their gradient was not finite. */
    public List<Long> leftOut() {
        return List.copyOf(leftOut);
    }

    public Network network() {
        return network;
    }

    /** Updates applied so far: version 0 is the initial network. */
    public long version() {
        return version;
    }

    public long sequencesTrained() {
        return sequencesTrained;
    }

    /** Mean loss per sequence of the last batch applied, taken at the version its gradient was computed with. */
    public double lastBatchLoss() {
        return figures.batchLoss();
    }

    /** The prequential figures after the last batch applied ({@link Prequential.Figures#NONE} before any). */
    public Prequential.Figures figures() {
        return figures;
    }
}
