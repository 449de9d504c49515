package dev.unroll.events;

import java.io.Serializable;

/**
 * A job's events input: where the events are, which fields it reads, how a key's events become
 * sequences, and how far out of order they may arrive.
 *
 * @param topic               the Kafka topic of the events
 * @param fields              the fields read from each event
 * @param rule                how a key's events are cut into sequences
 * @param maxOutOfOrdernessMs how far behind the newest event time an event may arrive and still count;
 *                            the watermark trails the newest event time by this much
 * @param idleTimeoutMs       a partition with no event for this long (processing time) stops holding the
 *                            watermark back, so the other partitions' windows still close; 0 is never
 * @param avroSchema          with Avro event records, the text of their schema (the job's {@code events.schema});
 *                            null when the events are JSON
 */
public record EventInput(String topic, EventFields fields, EventRule rule, long maxOutOfOrdernessMs, long idleTimeoutMs,
                         String avroSchema)
        implements Serializable {
    /** The offline rule over events in the order read. */
    public Assembler assembler() {
        return new Assembler(rule, maxOutOfOrdernessMs);
    }
}
