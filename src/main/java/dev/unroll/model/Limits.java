package dev.unroll.model;

/**
 * Upper bounds checked before anything is allocated, so that one hostile record
 * cannot exhaust memory.
 *
 * @param maxUnits the largest {@code units} accepted
 * @param maxSteps the largest {@code steps} accepted
 */
public record Limits(int maxUnits, int maxSteps) implements java.io.Serializable {
    public static final Limits DEFAULT = new Limits(4096, 1_000_000);

    public Limits {
        if (maxUnits < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
