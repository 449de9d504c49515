package dev.unroll.stream;

import dev.unroll.model.Prequential;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.descriptive.SynchronizedDescriptiveStatistics;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The prequential figures as gauges (docs/model-quality.md). One model: the newest version's
 * window and faded loss and accuracy. Per-key models: their spread over the keys rather than a
 * gauge per key, as percentiles over the window figures of the last {@value #KEY_UPDATES} key
 * updates of the subtask (the keys being trained now).
 */
final class PrequentialGauges {
    static final int KEY_UPDATES = 1000;

    private PrequentialGauges() {
    }

    /** {@code prequentialLoss}, {@code prequentialAccuracy}, {@code prequentialFadingLoss}, {@code prequentialFadingAccuracy}. */
    static void register(MetricGroup metrics, Supplier<Prequential.Figures> newest) {
        metrics.gauge("prequentialLoss", () -> newest.get().windowLoss());
        metrics.gauge("prequentialAccuracy", () -> newest.get().windowAccuracy());
        metrics.gauge("prequentialFadingLoss", () -> newest.get().fadingLoss());
        metrics.gauge("prequentialFadingAccuracy", () -> newest.get().fadingAccuracy());
    }

    /**
     * {@code keyPrequentialLossP50}, {@code ...P90}, {@code ...Max}, and {@code keyPrequentialAccuracyMin},
     * {@code ...P10}, {@code ...P50}; NaN before any key has trained. Returns what takes in a key's figures.
     */
    static Consumer<Prequential.Figures> perKey(MetricGroup metrics) {
        // read by the metric reporter's thread while the operator's adds: synchronized
        DescriptiveStatistics loss = new SynchronizedDescriptiveStatistics(KEY_UPDATES);
        DescriptiveStatistics accuracy = new SynchronizedDescriptiveStatistics(KEY_UPDATES);
        metrics.gauge("keyPrequentialLossP50", () -> loss.getPercentile(50));
        metrics.gauge("keyPrequentialLossP90", () -> loss.getPercentile(90));
        metrics.gauge("keyPrequentialLossMax", loss::getMax);
        metrics.gauge("keyPrequentialAccuracyMin", accuracy::getMin);
        metrics.gauge("keyPrequentialAccuracyP10", () -> accuracy.getPercentile(10));
        metrics.gauge("keyPrequentialAccuracyP50", () -> accuracy.getPercentile(50));
        return f -> {
            loss.addValue(f.windowLoss());
            if (!Double.isNaN(f.windowAccuracy())) {
                accuracy.addValue(f.windowAccuracy());
            }
        };
    }
}
