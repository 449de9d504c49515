package dev.unroll.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The offline reference trainer: a plain loop over sequences in order. Every {@code batchSize}
 * sequences it sums the batch's gradients at the current parameters and applies one update;
 * {@link #finish} applies the short last batch, averaged over its own size.
 */
public final class Trainer {
    private final int batchSize;
    private final Sgd sgd;
    private final List<Sequence> batch = new ArrayList<>();
    private final List<Long> leftOut = new ArrayList<>();
    private Network network;
    private long version;
    private long sequencesTrained;
    private double lastBatchLoss = Double.NaN;

    public Trainer(Network initial, Sgd sgd, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1");
        }
        this.network = initial;
        this.sgd = sgd;
        this.batchSize = batchSize;
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
        Gradients sum = GradientSum.finite(network, batch, k -> leftOut.add(version * batchSize + k));
        if (sum.count > 0) {
            network = network.withParameters(sgd.step(network.parameters(), sum));
            lastBatchLoss = sum.loss / sum.count;
        }
        version++;
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

    /** Mean loss per sequence of the last batch applied. */
    public double lastBatchLoss() {
        return lastBatchLoss;
    }
}
