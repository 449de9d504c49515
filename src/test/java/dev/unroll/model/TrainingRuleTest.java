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
import dev.unroll.format.SequenceJson;
import dev.unroll.format.NetworkJson;

/**
 * The update rule of docs/model.md: {@code param -= learningRate * sum / batchSize},
 * batches in order, a short last batch averaged over its own size, initial states learned, tied
 * members moving together; and the options of {@link Sgd} (momentum, clipping, frozen initial
 * states) that are off by default.
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

    private static Network train(Network net, List<Sequence> data, Sgd sgd, int batchSize) {
        Trainer trainer = new Trainer(net, sgd, batchSize);
        data.forEach(trainer::add);
        return trainer.finish();
    }

    @Test
    void twoUpdatesMatchTheHandDerivedRule() {
        Network net = tinyNetwork();
        Trainer trainer = new Trainer(net, new Sgd(Sgd.Settings.plain(TinyLinearNet.LEARNING_RATE)), TinyLinearNet.BATCH_SIZE);
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
        Sgd sgd = new Sgd(new Sgd.Settings(TinyLinearNet.LEARNING_RATE, 0.0, 0.0, false));
        Network result = train(net, tinySequences(net), sgd, TinyLinearNet.BATCH_SIZE);
        assertArrayEquals(TinyLinearNet.S0, result.parameters().initialState, "initial states must not move (bit-for-bit)");
        double off = TinyLinearNet.distance(result.parameters(), TinyLinearNet.expectedAfterOnePass(false));
        assertTrue(off <= TIGHT, "weights and biases still follow the rule: " + off);
        assertNotEquals(TinyLinearNet.W0[0][0], result.parameters().weight(0, 0));
    }

    @Test
    void tiedWeightsStayExactlyEqualUnderMomentumAndClipping() {
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
        Sgd.Settings settings = new Sgd.Settings(0.5, 0.9, 0.05, true);
        Trainer trainer = new Trainer(net, new Sgd(settings), 3);
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
        // clipping and momentum were really in play: without them the run ends elsewhere
        Network plain = train(net, data, new Sgd(Sgd.Settings.plain(0.5)), 3);
        Network unclipped = train(net, data, new Sgd(new Sgd.Settings(0.5, 0.9, 0.0, true)), 3);
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
        Sgd sgd = new Sgd(Sgd.Settings.plain(0.1));

        Gradients nanWeight = unitSum(2);
        nanWeight.weights[3] = Double.NaN;
        Gradients infiniteBias = unitSum(2);
        infiniteBias.biases[0] = Double.POSITIVE_INFINITY;
        Gradients infiniteInitial = unitSum(2);
        infiniteInitial.initialState[1] = Double.NEGATIVE_INFINITY;
        Gradients infiniteLoss = unitSum(2);
        infiniteLoss.loss = Double.POSITIVE_INFINITY;
        for (Gradients bad : List.of(nanWeight, infiniteBias, infiniteInitial, infiniteLoss)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.step(current, bad));
            assertTrue(e.getMessage().contains("finite"), e.getMessage());
        }
        Gradients empty = new Gradients(2);
        assertThrows(IllegalArgumentException.class, () -> sgd.step(current, empty));
        assertEquals(snapshot, current, "a refused update must leave the parameters alone");
        // a refused update leaves no trace in the momentum either
        Sgd withMomentum = new Sgd(new Sgd.Settings(0.1, 0.9, 0.0, true));
        assertThrows(IllegalArgumentException.class, () -> withMomentum.step(current, nanWeight));
        Parameters after = withMomentum.step(current, unitSum(2));
        Parameters fresh = new Sgd(new Sgd.Settings(0.1, 0.9, 0.0, true)).step(current, unitSum(2));
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
        Parameters next = new Sgd(Sgd.Settings.plain(0.2)).step(p, sum);
        assertEquals(p.weights[1] - 0.2 * 3.0 / 4, next.weights[1], 1e-15);
        assertEquals(p.biases[0] - 0.2 * 1.0 / 4, next.biases[0], 1e-15);
        assertEquals(p.initialState[1] - 0.2 * 1.0 / 4, next.initialState[1], 1e-15);
    }

    @Test
    void momentumFollowsTheHeavyBallRecurrence() {
        Parameters p0 = tinyNetwork().parameters();
        Sgd sgd = new Sgd(new Sgd.Settings(0.1, 0.5, 0.0, true));
        Gradients g1 = unitSum(2);
        g1.count = 2; // averaged: 0.5 each
        Gradients g2 = unitSum(2);
        g2.biases[1] = -3.0; // count 1
        Parameters p1 = sgd.step(p0, g1);
        Parameters p2 = sgd.step(p1, g2);
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
        Parameters p1 = new Sgd(new Sgd.Settings(0.1, 0.0, clip, true)).step(p0, g);
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
        Parameters unclipped = new Sgd(new Sgd.Settings(0.1, 0.0, 10.0, true)).step(p0, g);
        assertEquals(new Sgd(Sgd.Settings.plain(0.1)).step(p0, g), unclipped);
    }
}
