package dev.unroll.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.model.Activation;
import dev.unroll.model.Loss;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Sequence;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What counts as a binary target and as right, for each activation, and how summaries add up. */
class EvaluationTest {

    @Test
    void binaryValuesAndTheMiddle() {
        assertTrue(Activation.LOGISTIC.isBinary(0.0));
        assertTrue(Activation.LOGISTIC.isBinary(1.0));
        assertFalse(Activation.LOGISTIC.isBinary(-1.0));
        assertFalse(Activation.LOGISTIC.isBinary(0.9));
        assertTrue(Activation.TANH.isBinary(-1.0));
        assertFalse(Activation.TANH.isBinary(0.0));

        assertTrue(Activation.LOGISTIC.isRight(1.0, 0.51));
        assertFalse(Activation.LOGISTIC.isRight(1.0, 0.5), "the middle itself is no answer");
        assertFalse(Activation.LOGISTIC.isRight(0.0, 0.5));
        assertTrue(Activation.LOGISTIC.isRight(0.0, 0.49));
        assertTrue(Activation.TANH.isRight(-1.0, -0.01));
        assertFalse(Activation.TANH.isRight(-1.0, 0.01));
        assertTrue(Activation.TANH.isRight(1.0, 0.01));
    }

    /** A tanh unit that flips sign every step: right at T, wrong one step beyond. */
    @Test
    void stepsBeyondSeeAStateThatDoesNotStay() {
        Parameters p = new Parameters(1, new double[]{-3.0}, new double[]{0.0}, new double[]{0.9});
        Network net = new Network(1, new int[0], new int[]{0}, Activation.TANH, Loss.SQUARED, null, new int[0][], p);
        Sequence seq = new Sequence("flip", 2, null, null, null, 0,
                List.of(new Sequence.Target(2, new int[]{0}, new double[]{1.0})));
        double h1 = Math.tanh(-3.0 * 0.9);
        double h2 = Math.tanh(-3.0 * h1);
        double h3 = Math.tanh(-3.0 * h2);
        Evaluation.Score now = Evaluation.score(net, seq, 0);
        assertTrue(now.allRight());
        assertEquals(1.0 - h2, now.distanceAtT(), 1e-15);
        assertEquals(now.distanceAtT(), now.distanceAfter());
        Evaluation.Score later = Evaluation.score(net, seq, 1);
        assertTrue(later.allRight(), "the score at T does not change");
        assertEquals(1.0 - h3, later.distanceAfter(), 1e-15);
        assertFalse(later.stillRight());

        Evaluation.Summary a = new Evaluation.Summary(1).add(later).add(later).add(now);
        assertEquals(3, a.sequences());
        assertEquals(1.0 / 3, a.fractionStillRight(), 1e-15, "only the score without steps beyond still holds");
        assertEquals(1.0, a.fractionSequencesAllRight());
        assertEquals(1.0 - h3, a.maxDistanceAfter(), 1e-15);
        assertEquals((2 * (1.0 - h3) + (1.0 - h2)) / 3, a.meanDistanceAfter(), 1e-15);
        assertEquals(1.0 - h2, a.maxDistanceAtT(), 1e-15);
        assertEquals((3 * now.loss()), 3 * a.meanLoss(), 1e-12, "the loss at T is the same with or without steps beyond");

        Evaluation.Summary none = new Evaluation.Summary(0);
        assertEquals(0, none.sequences());
        assertTrue(Double.isNaN(none.meanLoss()));
        assertEquals(null, none.toMap().get("meanLoss"));
    }
}
