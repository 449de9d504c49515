package dev.unroll.job;

import java.util.Locale;

/** The record formats; {@code stream.parameterFormat} picks the one the job writes. */
public enum ParameterFormat {
    BINARY, JSON;

    /** The format named {@code name} (case-insensitive), or null when there is none. */
    public static ParameterFormat named(String name) {
        for (ParameterFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }

    /** The name job files use. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
