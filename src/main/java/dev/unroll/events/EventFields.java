package dev.unroll.events;

import java.io.Serializable;
import java.util.List;

/**
 * Which fields of an event record the job reads, and how each number is normalised: a value v
 * becomes {@code (v - offset) / scale}, so that readings in their own units (degrees, watts) fit
 * the range of the network's units.
 *
 * @param keyField     the field naming the key (a device, a user, a metric)
 * @param timeField    the event-time field: epoch milliseconds, or ISO-8601 text
 * @param inputFields  numeric fields clamped on the network's input units, in order
 * @param targetFields numeric fields that targets are made of (the next value, or a label), in order
 * @param inputOffset  per input field, subtracted before scaling
 * @param inputScale   per input field, divided by after the offset
 * @param targetOffset per target field
 * @param targetScale  per target field
 */
public record EventFields(String keyField, String timeField, List<String> inputFields, List<String> targetFields,
                          double[] inputOffset, double[] inputScale, double[] targetOffset, double[] targetScale)
        implements Serializable {
    public EventFields {
        inputFields = List.copyOf(inputFields);
        targetFields = List.copyOf(targetFields);
    }

    /** A number of an input field in the network's units. */
    public double input(int k, double value) {
        return (value - inputOffset[k]) / inputScale[k];
    }

    public double target(int k, double value) {
        return (value - targetOffset[k]) / targetScale[k];
    }

    /** A target number back in the field's own units (a forecast a user reads). */
    public double targetValue(int k, double normalised) {
        return normalised * targetScale[k] + targetOffset[k];
    }
}
