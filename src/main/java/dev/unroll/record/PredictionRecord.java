package dev.unroll.record;

import dev.unroll.model.Prediction;

/**
 * One answered request: the {@link Prediction}, the parameter version that made it, and the
 * request it answers (its coordinates and Kafka key, which the prediction record keeps).
 */
public class PredictionRecord {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public long version;
    public String id;
    public int columns;
    /** T rows of {@code columns}, row-major */
    public double[] outputs;
    public boolean hasLoss;
    public double loss;
    /** a newer version that the serving gate held back (it failed it); -1 for none */
    public long heldBack = -1;
    /** the answering version's age in ms (serving.modelAgeClock), -1 when unknown or not asked for */
    public long modelAgeMs = -1;
    /** the answering version was older than serving.maxModelAgeMs (or of unknown age) */
    public boolean stale;

    public PredictionRecord() {
    }

    public PredictionRecord(RawRecord request, long version, Prediction p) {
        this.topic = request.topic;
        this.partition = request.partition;
        this.offset = request.offset;
        this.key = request.key;
        this.version = version;
        this.id = p.id();
        this.columns = p.columns();
        this.outputs = p.outputs();
        this.hasLoss = p.hasLoss();
        this.loss = p.loss();
    }

    public Prediction prediction() {
        return new Prediction(id, columns, outputs, hasLoss, loss);
    }
}
