package dev.unroll.stream;

import dev.unroll.model.Parameters;

/**
 * Parameter version {@code version}: the parameters after {@code version} updates, with where
 * they came from. Published by the aggregator to the parameters topic (see ParameterRecords
 * for the JSON form) and read back by every BPTT instance.
 */
public class ParameterVersion {
    public String job;
    public long version;
    /** sequences trained into these parameters, over all versions */
    public long sequencesTrained;
    /** sequences in the batch that produced this version (0 for version 0) */
    public long batchSize;
    /** mean loss per sequence of that batch, at the previous version */
    public double batchLoss;
    /** the input ended: no version follows this one */
    public boolean last;
    public long publishedAt;
    public double[] weights;
    public double[] biases;
    public double[] initialState;

    public ParameterVersion() {
    }

    public ParameterVersion(String job, long version, Parameters p) {
        this.job = job;
        this.version = version;
        this.weights = p.weights;
        this.biases = p.biases;
        this.initialState = p.initialState;
        this.batchLoss = Double.NaN;
    }

    public Parameters parameters() {
        return new Parameters(biases.length, weights, biases, initialState);
    }
}
