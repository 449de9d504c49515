package dev.unroll.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Bptt#gradient} against central finite differences of the loss, for several hundred random
 * networks and sequences covering every feature of the contract (see {@link RandomCases}).
 *
 * <p>Every free parameter is perturbed: each unmasked, untied weight alone; each tied group as one
 * shared value (all members together), whose derivative every member must report; each bias; each
 * learned initial state. The difference quotient is Richardson-extrapolated from steps h and h/2,
 * which leaves an error of order h^4 plus rounding of about 1e-16 |E| / h, far below the
 * tolerance, while a missing term or a step taken at the wrong time changes a derivative by a
 * sizeable fraction of itself.
 */
class FiniteDifferenceTest {
    private static final long FIRST_SEED = 0x5EED_0001L;
    private static final int COUNT = 400;
    private static final double H = 1e-4;
    /** |analytic - numeric| <= RELATIVE * |numeric| + ABSOLUTE * max(1, |E|) */
    private static final double RELATIVE = 1e-6;
    private static final double ABSOLUTE = 1e-8;

    private static final List<RandomCases.Case> CASES = RandomCases.generate(FIRST_SEED, COUNT);

    static List<RandomCases.Case> cases() {
        return CASES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(RandomCases.Case c) {
        check(c.net(), c.seq(), c.toString());
    }

    /** The generator really produces every feature the test claims to cover, several times each. */
    @Test
    void theRandomCasesCoverEveryFeature() {
        Map<String, Integer> counts = new TreeMap<>();
        for (RandomCases.Case c : CASES) {
            for (String f : c.features()) {
                counts.merge(f, 1, Integer::sum);
            }
        }
        List<String> required = List.of("logistic", "tanh", "linear", "squared", "cross-entropy", "mask", "tied",
                "inputs", "unsorted-inputUnits", "inputUnits-without-inputs", "initial-subset", "initial-all",
                "initial-overridden-by-inputs0", "targets-every-step", "targets-final", "targets-last-several",
                "targets-sparse", "target-on-clamped-unit", "target-on-input-unit", "repeated-target",
                "targets-shuffled", "no-targets", "large-weights", "T=1", "T<100", "T>=100");
        for (String f : required) {
            assertTrue(counts.getOrDefault(f, 0) >= 3, "only " + counts.getOrDefault(f, 0) + " cases with " + f + ": " + counts);
        }
        long crossEntropyTied = CASES.stream().filter(c -> c.features().contains("cross-entropy")
                && c.features().contains("tied") && c.features().contains("mask")).count();
        assertTrue(crossEntropyTied >= 3, "cross-entropy with mask and tied groups: " + crossEntropyTied);
        long longest = CASES.stream().filter(c -> c.seq().steps() == 300 && c.seq().hasInputs()).count();
        assertTrue(longest >= 3, "T = 300 with inputs: " + longest);
    }

    /**
     * The check itself must be able to fail: a gradient that is off in one coordinate by a small
     * fraction (here, as if one copy of a weight were left out) is reported.
     */
    @Test
    void aWrongGradientIsCaught() {
        RandomCases.Case c = CASES.stream()
                .filter(x -> x.seq().steps() >= 9 && x.net().activation() == Activation.TANH && !x.features().contains("no-targets"))
                .findFirst().orElseThrow();
        Gradients right = Bptt.gradient(c.net(), c.seq());
        int biggest = 0;
        for (int k = 0; k < right.weights.length; k++) {
            if (Math.abs(right.weights[k]) > Math.abs(right.weights[biggest])) {
                biggest = k;
            }
        }
        int at = biggest;
        assertTrue(Math.abs(right.weights[at]) > 1e-3, "the chosen case needs a sizeable weight derivative");
        List<String> problems = compare(c.net(), c.seq(), g -> g.weights[at] *= 1.0 + 1e-4);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("weights[" + at / c.net().units() + "][")),
                "a 1e-4 relative error went unnoticed: " + problems);
        assertTrue(compare(c.net(), c.seq(), g -> { }).isEmpty(), "the unchanged gradient must pass");
    }

    private static void check(Network net, Sequence seq, String label) {
        List<String> problems = compare(net, seq, g -> { });
        if (!problems.isEmpty()) {
            fail(label + ": " + problems.size() + " derivatives disagree, the first ones:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(12, problems.size()))));
        }
    }

    /** Every disagreement between the (optionally spoiled) analytic gradient and the numeric one. */
    private static List<String> compare(Network net, Sequence seq, Consumer<Gradients> spoil) {
        int n = net.units();
        Parameters p = net.parameters();
        Gradients g = Bptt.gradient(net, seq);
        spoil.accept(g);
        double loss = Bptt.forward(net, seq, seq.steps()).loss();
        List<String> problems = new ArrayList<>();

        assertEquals(loss, g.loss, "gradient and forward disagree on the loss");
        assertEquals(1, g.count);
        double independent = SpecForward.loss(net, seq, p);
        assertTrue(Math.abs(loss - independent) <= 1e-11 * Math.max(1.0, Math.abs(independent)),
                "the loss " + loss + " differs from the spec's direct formula " + independent);
        assertTrue(Double.isFinite(loss) && g.isFinite(), "not finite");
        if (seq.targets().isEmpty()) {
            assertEquals(0.0, loss);
        }
        double floor = ABSOLUTE * Math.max(1.0, Math.abs(loss));

        // weights: masked ones report 0; tied groups move as one value; the rest one by one
        boolean[] inGroup = new boolean[n * n];
        for (int[] group : net.tiedGroups()) {
            for (int k : group) {
                inGroup[k] = true;
            }
            double numeric = derivative(net, seq, q -> group, 0);
            for (int k : group) {
                assertEquals(g.weights[group[0]], g.weights[k], "tied members report different derivatives");
                expect(problems, "weights[" + k / n + "][" + k % n + "] (tied)", g.weights[k], numeric, floor);
            }
        }
        for (int k = 0; k < n * n; k++) {
            int j = k / n;
            int i = k % n;
            if (!net.connected(j, i)) {
                if (g.weights[k] != 0.0) {
                    problems.add("weights[" + j + "][" + i + "] is masked but reports " + g.weights[k]);
                }
            } else if (!inGroup[k]) {
                int at = k;
                expect(problems, "weights[" + j + "][" + i + "]", g.weights[k],
                        derivative(net, seq, q -> new int[] {at}, 0), floor);
            }
        }
        for (int u = 0; u < n; u++) {
            int at = u;
            expect(problems, "biases[" + u + "]", g.biases[u], derivative(net, seq, q -> new int[] {at}, 1), floor);
        }

        // initial states given by the data or clamped by inputs[0] do not enter the loss
        boolean[] fromData = new boolean[n];
        for (int u : seq.initialUnits()) {
            fromData[u] = true;
        }
        if (seq.hasInputs()) {
            for (int u : net.inputUnits()) {
                fromData[u] = true;
            }
        }
        for (int u = 0; u < n; u++) {
            int at = u;
            double numeric = derivative(net, seq, q -> new int[] {at}, 2);
            if (fromData[u]) {
                if (g.initialState[u] != 0.0 || numeric != 0.0) {
                    problems.add("initialState[" + u + "] is set by the data but reports " + g.initialState[u]
                            + " (numeric " + numeric + ")");
                }
            } else {
                expect(problems, "initialState[" + u + "]", g.initialState[u], numeric, floor);
            }
        }
        return problems;
    }

    private static void expect(List<String> problems, String what, double analytic, double numeric, double floor) {
        double allowed = RELATIVE * Math.abs(numeric) + floor;
        if (!(Math.abs(analytic - numeric) <= allowed)) {
            problems.add(what + ": analytic " + analytic + ", numeric " + numeric + ", difference "
                    + Math.abs(analytic - numeric) + " > " + allowed);
        }
    }

    interface Coordinates {
        int[] of(Parameters p);
    }

    /**
     * dE/dx by central differences, Richardson-extrapolated, where x moves the given coordinates of
     * one parameter array together (0 weights, 1 biases, 2 initial states).
     */
    private static double derivative(Network net, Sequence seq, Coordinates which, int array) {
        double d1 = (lossAt(net, seq, which, array, H) - lossAt(net, seq, which, array, -H)) / (2 * H);
        double d2 = (lossAt(net, seq, which, array, H / 2) - lossAt(net, seq, which, array, -H / 2)) / H;
        return (4 * d2 - d1) / 3;
    }

    private static double lossAt(Network net, Sequence seq, Coordinates which, int array, double delta) {
        Parameters q = net.parameters().copy();
        double[] values = array == 0 ? q.weights : array == 1 ? q.biases : q.initialState;
        for (int k : which.of(q)) {
            values[k] += delta;
        }
        return Bptt.forward(net.withParameters(q), seq, seq.steps()).loss();
    }
}
