package dev.unroll.model;

import java.util.List;

/**
 * A sequence's target terms grouped by time step (compressed rows), so each step of the
 * forward and backward pass finds its terms without scanning the list. Order within a step is
 * the order of the file, and a repeated term stays repeated.
 */
final class TargetIndex {
    private final int[] start;
    private final int[] units;
    private final double[] values;

    private TargetIndex(int[] start, int[] units, double[] values) {
        this.start = start;
        this.units = units;
        this.values = values;
    }

    static TargetIndex of(Sequence seq) {
        int steps = seq.steps();
        List<Sequence.Target> targets = seq.targets();
        int[] start = new int[steps + 2];
        for (Sequence.Target target : targets) {
            start[target.t() + 1] += target.units().length;
        }
        for (int t = 1; t < start.length; t++) {
            start[t] += start[t - 1];
        }
        int total = start[steps + 1];
        int[] units = new int[total];
        double[] values = new double[total];
        int[] fill = start.clone();
        for (Sequence.Target target : targets) {
            for (int k = 0; k < target.units().length; k++) {
                int at = fill[target.t()]++;
                units[at] = target.units()[k];
                values[at] = target.values()[k];
            }
        }
        return new TargetIndex(start, units, values);
    }

    int first(int t) {
        return start[t];
    }

    int end(int t) {
        return start[t + 1];
    }

    int unit(int e) {
        return units[e];
    }

    double value(int e) {
        return values[e];
    }
}
