package dev.unroll.kafka;

/** A parameter record whose signature fails: never trained on or served, but dead-lettered by whoever read it. */
public final class RefusedRecordException extends IllegalArgumentException {
    public RefusedRecordException(String reason) {
        super(reason);
    }
}
