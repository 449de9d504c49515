package dev.unroll.task;

import dev.unroll.model.Activation;
import dev.unroll.model.Bptt;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How well a network does on sequences: the loss, and for binary targets whether the state is
 * on the right side of the activation's middle. Used by the {@code evaluate} command and for
 * held-out accuracy while streaming.
 *
 * <p>A target value is binary when it is exactly the activation's low or high value (0 or 1 for
 * logistic units, -1 or 1 for tanh and linear ones); it is right when the state is strictly on
 * its side of {@link Activation#middle()} ({@link Activation#isRight}). Other target values add
 * to the loss only.
 *
 * <p>Settling: the targets at t = T are the ones a settled network should keep holding. Their
 * distance is the largest |h_t[u] - d| over them, measured at T and, when asked, again at T + K
 * after running K steps past the data ({@code Bptt.forward} with {@code runSteps = T + K}).
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * One sequence's figures.
     *
     * @param loss           E of the sequence
     * @param binaryTargets  target terms with a binary value
     * @param binaryRight    how many of those the network got right
     * @param hasFinal       whether the sequence has targets at t = T
     * @param distanceAtT    max |h_T[u] - d| over the targets at T (0 without them)
     * @param distanceAfter  the same at T + K (equal to distanceAtT when K = 0)
     * @param stillRight     every binary target at T is still right at T + K
     */
    public record Score(double loss, int binaryTargets, int binaryRight, boolean hasFinal, double distanceAtT,
                        double distanceAfter, boolean stillRight) {
        public boolean allRight() {
            return binaryRight == binaryTargets;
        }
    }

    /** Runs the sequence (and K steps beyond it) and scores it. */
    public static Score score(Network net, Sequence seq, int stepsBeyond) {
        if (stepsBeyond < 0) {
            throw new IllegalArgumentException("steps beyond T must be 0 or more, found " + stepsBeyond);
        }
        int steps = seq.steps();
        Bptt.Activities run = Bptt.forward(net, seq, steps + stepsBeyond);
        Activation f = net.activation();
        int binary = 0;
        int right = 0;
        boolean hasFinal = false;
        double atT = 0.0;
        double after = 0.0;
        boolean stillRight = true;
        for (Sequence.Target target : seq.targets()) {
            int t = target.t();
            for (int k = 0; k < target.units().length; k++) {
                int u = target.units()[k];
                double d = target.values()[k];
                double h = run.state(t, u);
                boolean isBinary = f.isBinary(d);
                if (isBinary) {
                    binary++;
                    right += f.isRight(d, h) ? 1 : 0;
                }
                if (t == steps) {
                    hasFinal = true;
                    double later = run.state(steps + stepsBeyond, u);
                    atT = Math.max(atT, Math.abs(h - d));
                    after = Math.max(after, Math.abs(later - d));
                    if (isBinary && !f.isRight(d, later)) {
                        stillRight = false;
                    }
                }
            }
        }
        return new Score(run.loss(), binary, right, hasFinal, atT, after, stillRight);
    }

    /** Scores every sequence. */
    public static Summary of(Network net, Iterable<Sequence> sequences, int stepsBeyond) {
        Summary s = new Summary(stepsBeyond);
        for (Sequence seq : sequences) {
            s.add(score(net, seq, stepsBeyond));
        }
        return s;
    }

    /** Figures over many sequences. */
    public static final class Summary {
        private final int stepsBeyond;
        private final SummaryStatistics loss = new SummaryStatistics();
        private long binaryTargets;
        private long binaryRight;
        private long sequencesAllRight;
        /** over the sequences with targets at t = T, the ones the settling figures cover */
        private final SummaryStatistics distanceAtT = new SummaryStatistics();
        private final SummaryStatistics distanceAfter = new SummaryStatistics();
        private long stillRight;

        public Summary(int stepsBeyond) {
            this.stepsBeyond = stepsBeyond;
        }

        public Summary add(Score s) {
            loss.addValue(s.loss());
            binaryTargets += s.binaryTargets();
            binaryRight += s.binaryRight();
            sequencesAllRight += s.allRight() ? 1 : 0;
            if (s.hasFinal()) {
                distanceAtT.addValue(s.distanceAtT());
                distanceAfter.addValue(s.distanceAfter());
                stillRight += s.stillRight() ? 1 : 0;
            }
            return this;
        }

        public int stepsBeyond() {
            return stepsBeyond;
        }

        public long sequences() {
            return loss.getN();
        }

        /** Mean loss per sequence (NaN with no sequences). */
        public double meanLoss() {
            return loss.getMean();
        }

        public long binaryTargets() {
            return binaryTargets;
        }

        public long binaryRight() {
            return binaryRight;
        }

        /** The fraction of binary target terms right (NaN with none). */
        public double fractionBinaryRight() {
            return (double) binaryRight / binaryTargets;
        }

        /** Sequences with every binary target right (vacuously so with none). */
        public long sequencesAllRight() {
            return sequencesAllRight;
        }

        public double fractionSequencesAllRight() {
            return (double) sequencesAllRight / sequences();
        }

        /** The settling figures: mean and largest distance at T (NaN without final targets). */
        public double meanDistanceAtT() {
            return distanceAtT.getMean();
        }

        public double maxDistanceAtT() {
            return distanceAtT.getMax();
        }

        public double meanDistanceAfter() {
            return distanceAfter.getMean();
        }

        public double maxDistanceAfter() {
            return distanceAfter.getMax();
        }

        /** Of the sequences with final targets, the fraction whose binary ones still hold at T + K. */
        public double fractionStillRight() {
            return (double) stillRight / distanceAtT.getN();
        }

        /** The figures as plain JSON values; an undefined ratio is null. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequences", sequences());
            m.put("meanLoss", finite(meanLoss()));
            m.put("binaryTargets", binaryTargets);
            m.put("binaryTargetsRight", binaryRight);
            m.put("fractionBinaryRight", finite(fractionBinaryRight()));
            m.put("sequencesAllRight", sequencesAllRight);
            m.put("fractionSequencesAllRight", finite(fractionSequencesAllRight()));
            Map<String, Object> fin = new LinkedHashMap<>();
            fin.put("sequences", distanceAtT.getN());
            fin.put("meanDistance", finite(meanDistanceAtT()));
            fin.put("maxDistance", finite(maxDistanceAtT()));
            m.put("finalTargets", fin);
            if (stepsBeyond > 0) {
                Map<String, Object> beyond = new LinkedHashMap<>();
                beyond.put("steps", stepsBeyond);
                beyond.put("meanDistance", finite(meanDistanceAfter()));
                beyond.put("maxDistance", finite(maxDistanceAfter()));
                beyond.put("fractionStillRight", finite(fractionStillRight()));
                m.put("beyond", beyond);
            }
            return m;
        }

        private static Double finite(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }
}
