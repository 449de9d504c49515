package dev.unroll.stream;

/**
 * One key's training state in the keyed trainer: its model (null parameters until its first
 * update: it is still the job's network), its optimizer's and prequential figures' state, counters and partial batch. One
 * value per key, so a retired key (state TTL) loses all of it at once, never half.
 */
public class KeyModel {
    /** updates applied so far: version 0 is the job's network */
    public long version;
    public long sequencesTrained;
    public double[] weights;
    public double[] biases;
    public double[] initialState;
    /** the optimizer's state ({@code Optimizer#state}: momentum's velocity, Adam's moments); null for none */
    public double[][] optimizerState;
    /** the key's prequential figures' state ({@code Prequential#state}); null before its first update */
    public double[] quality;
    /** the key's partial batch, in the order read */
    public SequenceItem[] pending = new SequenceItem[0];

    public KeyModel() {
    }
}
