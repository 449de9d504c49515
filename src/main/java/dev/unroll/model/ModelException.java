package dev.unroll.model;

/**
 * A network, sequence or job that breaks the contract. The message is one line:
 * {@code SOURCE: FIELD: REASON}, so a user can find the bad value without a stack trace.
 */
public final class ModelException extends RuntimeException {
    private final String source;
    private final String field;
    private final String reason;

    public ModelException(String source, String field, String reason) {
        super(source + ": " + (field.isEmpty() ? "" : field + ": ") + reason);
        this.source = source;
        this.field = field;
        this.reason = reason;
    }

    public String source() {
        return source;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
