package dev.unroll.record;

/**
 * A record that could not be trained on, kept byte for byte with where it came from and why,
 * so it can be inspected and re-driven. Written with the original bytes as the value and the
 * reason in headers (see DeadLetterSerializer).
 */
public class DeadLetter {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;
    /** the operator that rejected it: decode, bptt or predict */
    public String stage;
    public String reason;

    public DeadLetter() {
    }

    public DeadLetter(String topic, int partition, long offset, byte[] key, byte[] value, String stage, String reason) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
        this.stage = stage;
        this.reason = reason;
    }
}
