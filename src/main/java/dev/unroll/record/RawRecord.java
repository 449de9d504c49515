package dev.unroll.record;

/** A Kafka record as it arrived, before anything is known about its contents. */
public class RawRecord {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;
    /** Its place in the order the job read records (0, 1, ...), set by the job as it reads; -1 before. */
    public long position = -1;
    /** The Kafka record's timestamp (ms), -1 when it has none. */
    public long timestamp = -1;

    public RawRecord() {
    }

    public RawRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
    }

    /** Where the record came from, as errors and dead letters name it: {@code topic/partition@offset}. */
    public String origin() {
        return topic + "/" + partition + "@" + offset;
    }
}
