package dev.unroll.stream;

import dev.unroll.record.RawRecord;

/** A validated request of a per-key job, with the key whose model answers it (see {@link RouteRequests}). */
public class KeyedRequest {
    public RawRecord request;
    public String key;
    /** the sequence in its compact binary form (SequenceCodec) */
    public byte[] sequence;

    public KeyedRequest() {
    }

    public KeyedRequest(RawRecord request, String key, byte[] sequence) {
        this.request = request;
        this.key = key;
        this.sequence = sequence;
    }
}
