package dev.unroll.job;

/** A job file that cannot be used: one line naming the file, the key and the reason. */
public final class JobException extends RuntimeException {
    public JobException(String source, String key, String reason) {
        super(source + ": " + (key.isEmpty() ? "" : key + ": ") + reason);
    }
}
