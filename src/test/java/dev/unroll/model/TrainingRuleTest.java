package dev.unroll.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.unroll.format.SequenceJson;
import dev.unroll.format.NetworkJson;

/**
 * The update rule of docs/model.md: {@code param -= learningRate * sum / batchSize},
 * batches in order, a short last batch averaged over its own size, initial states learned, tied
 * members moving together; and the options that are off by default: {@link Sgd}'s momentum,
 * clipping, frozen initial states, and {@link Adam} and {@link AdaGrad} (checked against hand-written
 * forms of their rules).
 */
class TrainingRuleTest {
    private static final double TIGHT = 1e-13;

    private static Network tinyNetwork() {
        return NetworkJson.parse(TinyLinearNet.networkJson(), "tiny", Limits.DEFAULT);
    }

    private static List<Sequence> tinySequences(Network net) {
        List<Sequence> out = new ArrayList<>();
        for (TinyLinearNet.Seq s : TinyLinearNet.SEQUENCES) {
            out.add(SequenceJson.parse(s.json(), "tiny sequence", net, Limits.DEFAULT));
        }
        return out;
    }

    private static Network train(Network net, List<Sequence> data, Optimizer sgd, int batchSize) {
        Trainer trainer = new Trainer(net, sgd, batchSize);
        data.forEach(trainer::add);
        return trainer.finish();
    }

    @Test
    void twoUpdatesMatchTheHandDerivedRule() {
        Network net = tinyNetwork();
        Trainer trainer = new Trainer(net, Optimizer.Settings.plain(TinyLinearNet.LEARNING_RATE).create(), TinyLinearNet.BATCH_SIZE);
        tinySequences(net).forEach(trainer::add);
        assertEquals(1, trainer.version(), "one full batch of two applied before finish");
        Network result = trainer.finish();
        assertEquals(2, trainer.version(), "the short last batch is applied by finish");
        assertEquals(3, trainer.sequencesTrained());

        TinyLinearNet.Params expected = TinyLinearNet.expectedAfterOnePass(true);
        double off = TinyLinearNet.distance(result.parameters(), expected);
        assertTrue(off <= TIGHT, "trained parameters differ from the hand-derived rule by " + off);

        // the example tells the rules apart: the short batch averaged over the full batch size is far off
        double wrong = TinyLinearNet.distance(result.parameters(), TinyLinearNet.wronglyAveraged());
        assertTrue(wrong > 1e-4, "the example cannot distinguish the averaging: " + wrong);
        // and the initial states really moved (the second sequence gives unit 1's, the others do not)
        assertNotEquals(TinyLinearNet.S0[0], result.parameters().initialState[0]);
        assertNotEquals(TinyLinearNet.S0[1], result.parameters().initialState[1]);
    }

    @Test
    void theHandDerivedGradientAgreesWithBptt() {
        Network net = tinyNetwork();
        List<Sequence> seqs = tinySequences(net);
        for (int k = 0; k < seqs.size(); k++) {
            TinyLinearNet.Params hand = TinyLinearNet.gradient(TinyLinearNet.Params.initial(), TinyLinearNet.SEQUENCES.get(k));
            Gradients g = Bptt.gradient(net, seqs.get(k));
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < 2; i++) {
                    assertEquals(hand.w[j][i], g.weights[j * 2 + i], 1e-14, "sequence " + k + " weights[" + j + "][" + i + "]");
                }
                assertEquals(hand.b[j], g.biases[j], 1e-14, "sequence " + k + " biases[" + j + "]");
                assertEquals(hand.s[j], g.initialState[j], 1e-14, "sequence " + k + " initialState[" + j + "]");
            }
        }
        // the data gives unit 1's initial state in the second sequence: exactly no derivative
        assertEquals(0.0, Bptt.gradient(net, seqs.get(1)).initialState[1]);
    }

    @Test
    void learnInitialStateFalseLeavesTheInitialStateUnchanged() {
        Network net = tinyNetwork();
        Optimizer sgd = Optimizer.Settings.sgd(TinyLinearNet.LEARNING_RATE, 0.0, 0.0, false).create();
        Network result = train(net, tinySequences(net), sgd, TinyLinearNet.BATCH_SIZE);
        assertArrayEquals(TinyLinearNet.S0, result.parameters().initialState, "initial states must not move (bit-for-bit)");
        double off = TinyLinearNet.distance(result.parameters(), TinyLinearNet.expectedAfterOnePass(false));
        assertTrue(off <= TIGHT, "weights and biases still follow the rule: " + off);
        assertNotEquals(TinyLinearNet.W0[0][0], result.parameters().weight(0, 0));
    }

    static List<Optimizer.Settings> clippedRules() {
        return List.of(Optimizer.Settings.sgd(0.5, 0.9, 0.05, true),
                Optimizer.Settings.adam(0.05, 0.8, 0.99, 1e-6, 0.05, true),
                Optimizer.Settings.adagrad(0.05, 1e-6, 0.05, true));
    }

    @ParameterizedTest
    @MethodSource("clippedRules")
    void tiedWeightsStayExactlyEqualAndMaskedOnesZeroUnderEveryRule(Optimizer.Settings settings) {
        int n = 5;
        String netJson = """
                {"units": 5, "inputUnits": [3], "outputUnits": [4, 1], "activation": "logistic", "loss": "cross-entropy",
                 "weights": [[-0.2, 0.4, 0.1, 0.0, 0.3],
                             [0.7, -0.2, 0.4, 0.2, 0.0],
                             [0.0, 0.5, 0.3, 0.4, -0.1],
                             [0.4, 0.0, 0.2, 0.1, 0.7],
                             [0.4, 0.3, 0.0, -0.6, 0.9]],
                 "biases": [0.1, -0.1, 0.2, 0.0, -0.3],
                 "initialState": [0.5, 0.2, 0.8, 0.4, 0.6],
                 "mask": [[1,1,1,0,1],[1,1,1,1,0],[0,1,1,1,1],[1,0,1,1,1],[1,1,0,1,1]],
                 "tied": [[[0,1],[1,2],[2,3],[3,0],[4,0]], [[0,0],[1,1]], [[1,0],[3,4]]]}
                """;
        Network net = NetworkJson.parse(netJson, "tied network", Limits.DEFAULT);
        SplittableRandom rnd = new SplittableRandom(77);
        List<Sequence> data = new ArrayList<>();
        for (int k = 0; k < 600; k++) {
            int steps = 2 + rnd.nextInt(12);
            StringBuilder s = new StringBuilder("{\"steps\":" + steps + ",\"inputs\":[");
            for (int t = 0; t < steps; t++) {
                s.append(t > 0 ? "," : "").append('[').append(rnd.nextInt(2)).append(']');
            }
            s.append("],\"targets\":[");
            for (int t = 1; t <= steps; t++) {
                s.append(t > 1 ? "," : "").append("{\"t\":").append(t).append(",\"units\":[4,1],\"values\":[")
                        .append(rnd.nextInt(2)).append(',').append(rnd.nextDouble()).append("]}");
            }
            data.add(SequenceJson.parse(s.append("]}").toString(), "sequence " + k, net, Limits.DEFAULT));
        }
        int[][] groups = net.tiedGroups();
        Trainer trainer = new Trainer(net, settings.create(), 3);
        long checked = 0;
        for (Sequence seq : data) {
            long before = trainer.version();
            trainer.add(seq);
            if (trainer.version() != before) {
                assertConstraintsHold(trainer.network(), groups, n, "after update " + trainer.version());
                checked++;
            }
        }
        Network result = trainer.finish();
        assertEquals(200, trainer.version());
        assertEquals(200, checked);
        assertConstraintsHold(result, groups, n, "at the end");
        for (int[] group : groups) {
            assertNotEquals(net.parameters().weights[group[0]], result.parameters().weights[group[0]], "a tied group never moved");
        }
        // clipping and the rule were really in play: plain, or without clipping, the run ends elsewhere
        Network plain = train(net, data, Optimizer.Settings.plain(settings.learningRate()).create(), 3);
        Network unclipped = train(net, data, new Optimizer.Settings(settings.kind(), settings.learningRate(),
                settings.momentum(), 0.0, true, settings.beta1(), settings.beta2(), settings.epsilon()).create(), 3);
        assertNotEquals(plain.parameters(), result.parameters());
        assertNotEquals(unclipped.parameters(), result.parameters());
        assertConstraintsHold(plain, groups, n, "plain run");
        assertConstraintsHold(unclipped, groups, n, "unclipped run");
    }

    private static void assertConstraintsHold(Network net, int[][] groups, int n, String when) {
        double[] w = net.parameters().weights;
        assertTrue(net.parameters().isFinite(), when + ": parameters not finite");
        for (int[] group : groups) {
            for (int k : group) {
                // exact equality, not a tolerance: tied members receive identical changes
                assertEquals(Double.doubleToRawLongBits(w[group[0]]), Double.doubleToRawLongBits(w[k]),
                        when + ": tied weights [" + k / n + "," + k % n + "] = " + w[k] + " and ["
                                + group[0] / n + "," + group[0] % n + "] = " + w[group[0]] + " differ");
            }
        }
        for (int k = 0; k < w.length; k++) {
            if (!net.connected(k / n, k % n)) {
                assertEquals(0.0, w[k], when + ": masked weight [" + k / n + "," + k % n + "] moved");
            }
        }
    }

    @Test
    void sgdRefusesASumThatIsNotFiniteOrEmpty() {
        Parameters current = tinyNetwork().parameters();
        Parameters snapshot = current.copy();
        Optimizer sgd = Optimizer.Settings.plain(0.1).create();

        Gradients nanWeight = unitSum(2);
        nanWeight.weights[3] = Double.NaN;
        Gradients infiniteBias = unitSum(2);
        infiniteBias.biases[0] = Double.POSITIVE_INFINITY;
        Gradients infiniteInitial = unitSum(2);
        infiniteInitial.initialState[1] = Double.NEGATIVE_INFINITY;
        Gradients infiniteLoss = unitSum(2);
        infiniteLoss.loss = Double.POSITIVE_INFINITY;
        for (Gradients bad : List.of(nanWeight, infiniteBias, infiniteInitial, infiniteLoss)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.step(current, bad, 0));
            assertTrue(e.getMessage().contains("finite"), e.getMessage());
        }
        Gradients empty = new Gradients(2);
        assertThrows(IllegalArgumentException.class, () -> sgd.step(current, empty, 0));
        assertEquals(snapshot, current, "a refused update must leave the parameters alone");
        // a refused update leaves no trace in the momentum either
        Optimizer withMomentum = Optimizer.Settings.sgd(0.1, 0.9, 0.0, true).create();
        assertThrows(IllegalArgumentException.class, () -> withMomentum.step(current, nanWeight, 0));
        Parameters after = withMomentum.step(current, unitSum(2), 0);
        Parameters fresh = Optimizer.Settings.sgd(0.1, 0.9, 0.0, true).create().step(current, unitSum(2), 0);
        assertEquals(fresh, after);
    }

    /** A finite sum over one sequence with every derivative 1. */
    private static Gradients unitSum(int n) {
        Gradients g = new Gradients(n);
        Arrays.fill(g.weights, 1.0);
        Arrays.fill(g.biases, 1.0);
        Arrays.fill(g.initialState, 1.0);
        g.loss = 1.0;
        g.count = 1;
        return g;
    }

    @Test
    void plainStepAveragesOverTheSumsCount() {
        Parameters p = tinyNetwork().parameters();
        Gradients sum = unitSum(2);
        sum.weights[1] = 3.0;
        sum.count = 4;
        Parameters next = Optimizer.Settings.plain(0.2).create().step(p, sum, 0);
        assertEquals(p.weights[1] - 0.2 * 3.0 / 4, next.weights[1], 1e-15);
        assertEquals(p.biases[0] - 0.2 * 1.0 / 4, next.biases[0], 1e-15);
        assertEquals(p.initialState[1] - 0.2 * 1.0 / 4, next.initialState[1], 1e-15);
    }

    @Test
    void momentumFollowsTheHeavyBallRecurrence() {
        Parameters p0 = tinyNetwork().parameters();
        Optimizer sgd = Optimizer.Settings.sgd(0.1, 0.5, 0.0, true).create();
        Gradients g1 = unitSum(2);
        g1.count = 2; // averaged: 0.5 each
        Gradients g2 = unitSum(2);
        g2.biases[1] = -3.0; // count 1
        Parameters p1 = sgd.step(p0, g1, 0);
        Parameters p2 = sgd.step(p1, g2, 1);
        // v1 = g1/2, p1 = p0 - lr v1; v2 = m v1 + g2, p2 = p1 - lr v2
        assertEquals(p0.weights[0] - 0.1 * 0.5, p1.weights[0], 1e-15);
        assertEquals(p1.weights[0] - 0.1 * (0.5 * 0.5 + 1.0), p2.weights[0], 1e-15);
        assertEquals(p1.biases[1] - 0.1 * (0.5 * 0.5 - 3.0), p2.biases[1], 1e-15);
    }

    @Test
    void clippingScalesTheAveragedGradientToTheNorm() {
        Parameters p0 = tinyNetwork().parameters();
        Gradients g = unitSum(2); // 8 entries of 1, averaged over 2: norm sqrt(8)/2 = 1.414...
        g.count = 2;
        double clip = 0.5;
        Parameters p1 = Optimizer.Settings.sgd(0.1, 0.0, clip, true).create().step(p0, g, 0);
        double squares = 0.0;
        for (int k = 0; k < 4; k++) {
            squares += Math.pow((p0.weights[k] - p1.weights[k]) / 0.1, 2);
        }
        for (int k = 0; k < 2; k++) {
            squares += Math.pow((p0.biases[k] - p1.biases[k]) / 0.1, 2);
            squares += Math.pow((p0.initialState[k] - p1.initialState[k]) / 0.1, 2);
        }
        assertEquals(clip, Math.sqrt(squares), 1e-12, "the applied step has the clip norm");
        // below the clip norm nothing changes
        Parameters unclipped = Optimizer.Settings.sgd(0.1, 0.0, 10.0, true).create().step(p0, g, 0);
        assertEquals(Optimizer.Settings.plain(0.1).create().step(p0, g, 0), unclipped);
    }

    private static final TinyLinearNet.AdamSettings TINY_ADAM = new TinyLinearNet.AdamSettings(0.8, 0.99, 1e-3, true);

    private static Optimizer.Settings tinyAdam(boolean learnInitialState) {
        return Optimizer.Settings.adam(TinyLinearNet.LEARNING_RATE, TINY_ADAM.beta1(), TINY_ADAM.beta2(),
                TINY_ADAM.epsilon(), 0.0, learnInitialState);
    }

    @Test
    void adamsTwoUpdatesMatchTheHandDerivedRule() {
        Network net = tinyNetwork();
        Network result = train(net, tinySequences(net), tinyAdam(true).create(), TinyLinearNet.BATCH_SIZE);
        double off = TinyLinearNet.distance(result.parameters(), TinyLinearNet.adamAfterOnePass(TINY_ADAM));
        assertTrue(off <= TIGHT, "trained parameters differ from the hand-derived Adam rule by " + off);
        // the example tells bias correction, and Adam from plain descent, apart
        TinyLinearNet.AdamSettings uncorrected = new TinyLinearNet.AdamSettings(0.8, 0.99, 1e-3, false);
        assertTrue(TinyLinearNet.distance(result.parameters(), TinyLinearNet.adamAfterOnePass(uncorrected)) > 1e-3);
        assertTrue(TinyLinearNet.distance(result.parameters(), TinyLinearNet.expectedAfterOnePass(true)) > 1e-3);
    }

    @Test
    void adamsStepsAreTheWrittenOutNumbers() {
        // g = 0.5 then 1 (weights) or -3 (bias 1), lr 0.1, the default betas and epsilon; the steps,
        // worked out at 40 digits: 0.1 * 0.5 / (0.5 + 1e-8), then 0.1 * (0.145 / 0.19) / (sqrt(0.00124975 / 0.001999) + 1e-8)
        Optimizer adam = Optimizer.Settings.adam(0.1, 0.9, 0.999, 1e-8, 0.0, true).create();
        Parameters p0 = tinyNetwork().parameters();
        Gradients g1 = unitSum(2);
        g1.count = 2;
        Gradients g2 = unitSum(2);
        g2.biases[1] = -3.0;
        Parameters p1 = adam.step(p0, g1, 0);
        Parameters p2 = adam.step(p1, g2, 1);
        // (to 1e-14: 1 - 0.999^2 in double carries a relative error of about 1e-13)
        assertEquals(0.09999999800000004, p0.weights[0] - p1.weights[0], 1e-16);
        assertEquals(0.09651820136149124, p1.weights[0] - p2.weights[0], 1e-14);
        assertEquals(-0.06239186635661172, p1.biases[1] - p2.biases[1], 1e-14);
        assertEquals(0.09651820136149124, p1.initialState[1] - p2.initialState[1], 1e-14);
    }

    @Test
    void adamsStepNumberIsTheUpdatesNumber() {
        // t = k + 1 from the update's number: a first step as update 3 is corrected by 1 - beta^4
        Parameters p0 = tinyNetwork().parameters();
        Gradients g = unitSum(2);
        Parameters p1 = Optimizer.Settings.adam(0.1, 0.5, 0.75, 0.0, 0.0, true).create().step(p0, g, 3);
        // m = 0.5, v = 0.25; m / (1 - 0.5^4) = 0.5333.., sqrt(v / (1 - 0.75^4)) = 0.5 / sqrt(0.68359375)
        assertEquals(0.1 * (0.5 / 0.9375) / (0.5 / Math.sqrt(0.68359375)), p0.weights[2] - p1.weights[2], 1e-15);
    }

    @Test
    void adaGradsStepsAreTheWrittenOutNumbers() {
        // g = 0.5 then 1 (weights) or -3 (bias 1), lr 0.1, epsilon 1e-8: 0.1 * 0.5 / (sqrt(0.25) + 1e-8), then
        // 0.1 * 1 / (sqrt(1.25) + 1e-8) and 0.1 * -3 / (sqrt(9.25) + 1e-8), worked out at 40 digits
        Optimizer adagrad = Optimizer.Settings.adagrad(0.1, 1e-8, 0.0, true).create();
        Parameters p0 = tinyNetwork().parameters();
        Gradients g1 = unitSum(2);
        g1.count = 2;
        Gradients g2 = unitSum(2);
        g2.biases[1] = -3.0;
        Parameters p1 = adagrad.step(p0, g1, 0);
        Parameters p2 = adagrad.step(p1, g2, 1);
        assertEquals(0.09999999800000004, p0.weights[0] - p1.weights[0], 1e-16);
        assertEquals(0.08944271829999160, p1.weights[0] - p2.weights[0], 1e-15);
        assertEquals(-0.09863939205889005, p1.biases[1] - p2.biases[1], 1e-15);
        assertEquals(0.08944271829999160, p1.initialState[1] - p2.initialState[1], 1e-15);
    }

    @Test
    void adaptiveRulesLeaveFrozenInitialStatesAlone() {
        Network net = tinyNetwork();
        for (Optimizer.Settings frozen : List.of(tinyAdam(false), Optimizer.Settings.adagrad(0.1, 1e-8, 0.0, false))) {
            Network result = train(net, tinySequences(net), frozen.create(), TinyLinearNet.BATCH_SIZE);
            assertArrayEquals(TinyLinearNet.S0, result.parameters().initialState, frozen.kind().key()
                    + ": initial states must not move (bit-for-bit)");
            assertNotEquals(TinyLinearNet.W0[0][0], result.parameters().weight(0, 0));
        }
    }

    @Test
    void anOptimizerResumedFromItsStateGoesOnAsIfNeverStopped() {
        Network net = tinyNetwork();
        List<Sequence> data = tinySequences(net);
        for (Optimizer.Settings settings : List.of(tinyAdam(true), Optimizer.Settings.sgd(0.1, 0.7, 0.0, true),
                Optimizer.Settings.adagrad(0.1, 1e-8, 0.0, true))) {
            Optimizer straight = settings.create();
            Parameters p1 = straight.step(net.parameters(), GradientSum.plain(net, data.subList(0, 2)), 0);
            Network at1 = net.withParameters(p1);
            Parameters p2 = straight.step(p1, GradientSum.plain(at1, data.subList(2, 3)), 1);

            Optimizer first = settings.create();
            assertEquals(p1, first.step(net.parameters(), GradientSum.plain(net, data.subList(0, 2)), 0));
            Optimizer resumed = settings.resume(first.state());
            assertEquals(p2, resumed.step(p1, GradientSum.plain(at1, data.subList(2, 3)), 1), settings.kind().key());
            assertNotEquals(p2, settings.create().step(p1, GradientSum.plain(at1, data.subList(2, 3)), 1),
                    settings.kind().key() + ": the state matters");
        }
    }

    @Test
    void aRefusedSumLeavesNoTraceInAdamsMoments() {
        Parameters current = tinyNetwork().parameters();
        Optimizer adam = tinyAdam(true).create();
        Gradients nan = unitSum(2);
        nan.weights[0] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> adam.step(current, nan, 0));
        assertEquals(null, adam.state(), "no moments before an applied update");
        assertEquals(tinyAdam(true).create().step(current, unitSum(2), 0), adam.step(current, unitSum(2), 0));
    }
}
