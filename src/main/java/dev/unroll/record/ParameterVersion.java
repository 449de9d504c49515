package dev.unroll.record;

import dev.unroll.model.Parameters;

/**
 * Parameter version {@code version}: the parameters after {@code version} updates, with where
 * they came from. Published by the aggregator to the parameters topic (see ParameterRecords
 * for the JSON form) and read back by every BPTT instance.
 */
public class ParameterVersion {
    public String job;
    /** with per-key models, the key whose model this is (the Kafka record's key); null for the job's one model */
    public String key;
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
    /**
     * Which attempt of which submission published it (see TrainingSpec#epoch), carried in the
     * record's {@code unroll.epoch} header: a BPTT instance takes only its own attempt's versions.
     */
    public String epoch;
    /** When the aggregator handed it to the producer, in wall-clock microseconds ({@code unroll.publishedMicros}; see LoopTrace). */
    public long publishedMicros;
    /** the records of the sequences topic trained into this version, cumulative (null when unknown) */
    public SourceRanges source;
    public double[] weights;
    public double[] biases;
    public double[] initialState;
    /**
     * Set, instead of everything else, on what a reader of the parameters topic hands on for a
     * record it refused (its signature fails): the operator that takes it dead-letters and counts it.
     */
    public DeadLetter refused;

    public ParameterVersion() {
    }

    /** The stand-in for a refused record, to be dead-lettered as {@code deadLetter}. */
    public static ParameterVersion refusal(DeadLetter deadLetter) {
        ParameterVersion v = new ParameterVersion();
        v.refused = deadLetter;
        return v;
    }

    public ParameterVersion(String job, long version, Parameters p) {
        this.job = job;
        this.version = version;
        this.weights = p.weights;
        this.biases = p.biases;
        this.initialState = p.initialState;
        this.batchLoss = Double.NaN;
    }

    /** The same version, as the attempt {@code newEpoch} publishes it again. */
    public ParameterVersion republishedAs(String newEpoch) {
        ParameterVersion v = new ParameterVersion(job, version, parameters());
        v.sequencesTrained = sequencesTrained;
        v.batchSize = batchSize;
        v.batchLoss = batchLoss;
        v.last = last;
        v.publishedAt = publishedAt;
        v.epoch = newEpoch;
        v.key = key;
        v.source = source;
        return v;
    }

    /** The records trained into it as {@code TOPIC partition:first-last,...}, or null when unknown. */
    public String sourceText() {
        return source == null || source.isEmpty() ? null : source.toString();
    }

    public Parameters parameters() {
        return new Parameters(biases.length, weights, biases, initialState);
    }
}
