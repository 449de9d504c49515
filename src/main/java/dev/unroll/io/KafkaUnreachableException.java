package dev.unroll.io;

/** No broker answered at the servers a command was given: a user's error to fix, not a crash. */
public final class KafkaUnreachableException extends RuntimeException {
    public KafkaUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
