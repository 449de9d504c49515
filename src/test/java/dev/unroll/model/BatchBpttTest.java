package dev.unroll.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.unroll.format.SequenceJson;
import dev.unroll.format.NetworkJson;

/**
 * The batched BPTT against the plain reference: the same gradient sums (to 1e-12 relative) on
 * random networks and batches that cover every feature of the model contract, with any number
 * of threads and any chunk size; bit-for-bit the same result however many threads run it; and
 * the reference gradient cases as batches of one and of copies.
 */
class BatchBpttTest {
    /** Batched and plain BPTT add in different orders; they agree to rounding. */
    private static final double TOLERANCE = 1e-12;

    // ---- random batches covering every feature --------------------------------------------

    /** A network and a batch of sequences for it, with the features the batch exercises. */
    record Batch(long seed, Network net, List<Sequence> seqs, Set<String> features) {
        @Override
        public String toString() {
            return "seed " + seed + " N=" + net.units() + " B=" + seqs.size() + " " + features;
        }
    }

    private static final int[] UNITS = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17};
    private static final int[] LENGTHS = {1, 2, 3, 5, 8, 13, 40};

    static Batch randomBatch(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Set<String> features = new TreeSet<>();
        int n = UNITS[rnd.nextInt(UNITS.length)];
        Activation activation = Activation.values()[rnd.nextInt(3)];
        features.add(activation.jsonName());
        Loss loss = activation == Activation.LOGISTIC && rnd.nextBoolean() ? Loss.CROSS_ENTROPY : Loss.SQUARED;
        features.add(loss.jsonName());

        double scale = activation == Activation.LINEAR ? 0.9 / n : (rnd.nextInt(4) == 0 ? 4.0 : 1.5) / Math.sqrt(n);
        double[] weights = new double[n * n];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = scale * (2 * rnd.nextDouble() - 1);
        }
        double[] biases = new double[n];
        double[] initialState = new double[n];
        for (int u = 0; u < n; u++) {
            biases[u] = rnd.nextDouble() - 0.5;
            initialState[u] = RandomCases.state(activation, rnd);
        }
        boolean[] mask = null;
        if (rnd.nextInt(3) == 0) {
            mask = new boolean[n * n];
            for (int k = 0; k < mask.length; k++) {
                mask[k] = rnd.nextInt(10) >= 3;
                if (!mask[k]) {
                    weights[k] = 0.0;
                }
            }
            features.add("mask");
        }
        int[][] tied = new int[0][];
        if (n >= 2 && rnd.nextInt(3) == 0) {
            List<Integer> free = new ArrayList<>();
            for (int k = 0; k < n * n; k++) {
                if (mask == null || mask[k]) {
                    free.add(k);
                }
            }
            Collections.shuffle(free, new Random(rnd.nextLong()));
            List<int[]> groups = new ArrayList<>();
            for (int at = 0, g = 0; g < 3 && at + 2 <= free.size(); g++) {
                int size = Math.min(2 + rnd.nextInt(3), free.size() - at);
                int[] group = new int[size];
                for (int m = 0; m < size; m++) {
                    group[m] = free.get(at++);
                    weights[group[m]] = weights[group[0]];
                }
                groups.add(group);
            }
            if (!groups.isEmpty()) {
                tied = groups.toArray(new int[0][]);
                features.add("tied");
            }
        }
        int[] inputUnits = new int[0];
        if (n >= 2 && rnd.nextInt(4) != 0) {
            inputUnits = RandomCases.shuffledUnits(n, rnd).subList(0, 1 + rnd.nextInt(Math.max(1, n / 2)))
                    .stream().mapToInt(Integer::intValue).toArray();
            features.add("input-units");
        }
        int[] outputUnits = RandomCases.shuffledUnits(n, rnd).subList(0, 1 + rnd.nextInt(n)).stream().mapToInt(Integer::intValue).toArray();
        Network net = new Network(n, inputUnits, outputUnits, activation, loss, mask, tied,
                new Parameters(n, weights, biases, initialState));

        // a batch: a few lengths, so some groups are large, some singletons
        int[] lengths = new int[1 + rnd.nextInt(3)];
        for (int k = 0; k < lengths.length; k++) {
            lengths[k] = LENGTHS[rnd.nextInt(LENGTHS.length)];
        }
        int size = rnd.nextInt(6) == 0 ? 1 : 2 + rnd.nextInt(24);
        List<Sequence> seqs = new ArrayList<>();
        for (int s = 0; s < size; s++) {
            seqs.add(sequence(net, lengths[rnd.nextInt(lengths.length)], rnd, features, "s" + s));
        }
        if (size == 1) {
            features.add("batch-of-1");
        }
        if (Arrays.stream(lengths).distinct().count() > 1) {
            features.add("mixed-lengths");
        }
        return new Batch(seed, net, seqs, features);
    }

    private static Sequence sequence(Network net, int steps, SplittableRandom rnd, Set<String> features, String id) {
        int n = net.units();
        Activation activation = net.activation();
        Loss loss = net.loss();
        int[] inputUnits = net.inputUnits();
        double[] inputs = null;
        if (inputUnits.length > 0) {
            if (rnd.nextInt(4) != 0) {
                inputs = new double[steps * inputUnits.length];
                for (int k = 0; k < inputs.length; k++) {
                    inputs[k] = activation == Activation.LOGISTIC ? 0.02 + 0.96 * rnd.nextDouble() : 2 * rnd.nextDouble() - 1;
                }
                features.add("inputs");
            } else {
                features.add("inputs-absent");
            }
        }
        int[] initialUnits = null;
        double[] initialValues = null;
        if (rnd.nextInt(3) == 0) {
            int count = 1 + rnd.nextInt(n);
            initialUnits = RandomCases.shuffledUnits(n, rnd).subList(0, count).stream().mapToInt(Integer::intValue).toArray();
            initialValues = new double[count];
            for (int k = 0; k < count; k++) {
                initialValues[k] = RandomCases.state(activation, rnd);
            }
            features.add(count == n ? "initial-all" : "initial-subset");
        }
        List<Sequence.Target> targets = new ArrayList<>();
        int kinds = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(3);
        if (kinds == 0) {
            features.add("no-targets");
        }
        int[] outputs = net.outputUnits();
        for (int k = 0; k < kinds; k++) {
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    for (int t = 1; t <= steps; t++) {
                        targets.add(RandomCases.target(t, outputs, activation, loss, rnd));
                    }
                    features.add("targets-every-step");
                }
                case 1 -> {
                    targets.add(RandomCases.target(steps, RandomCases.allUnits(n), activation, loss, rnd));
                    features.add("targets-final");
                }
                case 2 -> {
                    for (int e = 0, count = 1 + rnd.nextInt(4); e < count; e++) {
                        int[] some = RandomCases.shuffledUnits(n, rnd).subList(0, 1 + rnd.nextInt(n)).stream().mapToInt(Integer::intValue).toArray();
                        targets.add(RandomCases.target(1 + rnd.nextInt(steps), some, activation, loss, rnd));
                    }
                    features.add("targets-sparse");
                }
                case 3 -> {
                    if (inputUnits.length > 0 && steps >= 2) {
                        int t = 1 + rnd.nextInt(steps - 1);
                        targets.add(RandomCases.target(t, inputUnits, activation, loss, rnd));
                        features.add(inputs != null ? "target-on-clamped-unit" : "target-on-input-unit");
                    }
                }
                default -> {
                    int last = 1 + rnd.nextInt(Math.min(steps, 4));
                    for (int t = steps - last + 1; t <= steps; t++) {
                        targets.add(RandomCases.target(t, RandomCases.allUnits(n), activation, loss, rnd));
                    }
                    features.add("targets-attractor");
                }
            }
        }
        if (!targets.isEmpty() && rnd.nextInt(3) == 0) {
            Sequence.Target again = targets.get(rnd.nextInt(targets.size()));
            int u = again.units()[0];
            targets.add(RandomCases.target(again.t(), new int[] {u, u}, activation, loss, rnd));
            features.add("repeated-target");
        }
        if (targets.size() > 1 && rnd.nextBoolean()) {
            Collections.shuffle(targets, new Random(rnd.nextLong()));
            features.add("targets-shuffled");
        }
        return new Sequence(id, steps, initialUnits, initialValues, inputs, inputUnits.length, targets);
    }

    static List<Batch> batches() {
        List<Batch> batches = new ArrayList<>();
        for (long seed = 1; seed <= 150; seed++) {
            batches.add(randomBatch(seed));
        }
        return batches;
    }

    @Test
    void randomBatchesCoverEveryFeature() {
        Set<String> covered = new TreeSet<>();
        for (Batch b : batches()) {
            covered.addAll(b.features());
        }
        for (String f : List.of("logistic", "tanh", "linear", "squared", "cross-entropy", "mask", "tied", "input-units",
                "inputs", "inputs-absent", "initial-subset", "initial-all", "no-targets", "targets-every-step",
                "targets-final", "targets-sparse", "target-on-clamped-unit", "target-on-input-unit", "targets-attractor",
                "repeated-target", "targets-shuffled", "batch-of-1", "mixed-lengths")) {
            assertTrue(covered.contains(f), "no random batch covers " + f + "; covered: " + covered);
        }
    }

    @Test
    void equalsThePlainSumOnRandomBatches() {
        for (Batch b : batches()) {
            Gradients expected = GradientSum.plain(b.net(), b.seqs());
            assertClose(expected, BatchBptt.sum(b.net(), b.seqs()), TOLERANCE, b + " single-threaded");
            assertClose(expected, BatchBptt.sum(b.net(), b.seqs(), 3), TOLERANCE, b + " three threads");
        }
    }

    /** The sums judge each binary target value at the state the forward pass reached, as held-out scoring does. */
    @Test
    void theSumsCountTheBinaryTargetsRight() {
        long judged = 0;
        for (Batch b : batches()) {
            long binary = 0;
            long right = 0;
            Activation f = b.net().activation();
            for (Sequence seq : b.seqs()) {
                Bptt.Activities run = Bptt.forward(b.net(), seq, seq.steps());
                for (Sequence.Target target : seq.targets()) {
                    for (int k = 0; k < target.units().length; k++) {
                        double d = target.values()[k];
                        if (f.isBinary(d)) {
                            binary++;
                            right += f.isRight(d, run.state(target.t(), target.units()[k])) ? 1 : 0;
                        }
                    }
                }
            }
            Gradients sum = BatchBptt.sum(b.net(), b.seqs());
            assertEquals(binary, sum.binaryTargets, b + ": binary targets");
            assertEquals(right, sum.binaryRight, b + ": right");
            judged += binary;
        }
        assertTrue(judged > 1000, "the random batches hold binary targets: " + judged);
    }

    @Test
    void anyChunkSizeGivesTheSameSum() {
        for (Batch b : batches().subList(0, 60)) {
            Gradients expected = GradientSum.plain(b.net(), b.seqs());
            for (int chunk : new int[] {1, 2, 3, 5, 64}) {
                assertClose(expected, BatchBptt.sum(b.net(), b.seqs(), 2, Runnable::run, chunk), TOLERANCE,
                        b + " chunks of " + chunk);
            }
        }
    }

    /** The stack in many small blocks (down to one step per block) gives the same sums. */
    @Test
    void aStackInManyBlocksGivesTheSameSum() {
        for (Batch b : batches().subList(0, 60)) {
            Gradients expected = GradientSum.plain(b.net(), b.seqs());
            for (int block : new int[] {1, 13, 100}) {
                assertClose(expected, BatchBptt.sum(b.net(), b.seqs(), 1, Runnable::run, 3, block), TOLERANCE,
                        b + " blocks of " + block + " numbers");
            }
        }
    }

    /** Every generated single-sequence case of the other model tests, as a batch of one and of copies. */
    @Test
    void equalsTheReferenceOnSingleSequencesAndCopies() {
        for (RandomCases.Case c : RandomCases.generate(1000, 300)) {
            Gradients one = Bptt.gradient(c.net(), c.seq());
            assertClose(one, BatchBptt.sum(c.net(), List.of(c.seq())), TOLERANCE, c + " batch of 1");
            Gradients three = scaled(one, 3);
            assertClose(three, BatchBptt.sum(c.net(), List.of(c.seq(), c.seq(), c.seq())), TOLERANCE, c + " 3 copies");
        }
    }

    @Test
    void manyThreadsGiveBitIdenticalSums() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (Batch b : batches().subList(0, 40)) {
                List<Sequence> seqs = new ArrayList<>();
                for (int copy = 0; copy < 4; copy++) {
                    seqs.addAll(b.seqs());
                }
                Gradients single = BatchBptt.sum(b.net(), seqs);
                for (int run = 0; run < 3; run++) {
                    assertIdentical(single, BatchBptt.sum(b.net(), seqs, 2), b + " two threads, run " + run);
                    assertIdentical(single, BatchBptt.sum(b.net(), seqs, 4, pool), b + " four threads, run " + run);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLargerNetworkWithManyStepsAndThreads() {
        // wide enough for every kernel path (blocks of four, remainders), long enough for many chunks
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 37;
        double[] weights = new double[n * n];
        for (int k = 0; k < weights.length; k++) {
            weights[k] = 1.5 / Math.sqrt(n) * (2 * rnd.nextDouble() - 1);
        }
        double[] biases = new double[n];
        double[] initial = new double[n];
        for (int u = 0; u < n; u++) {
            biases[u] = rnd.nextDouble() - 0.5;
            initial[u] = rnd.nextDouble();
        }
        int[] outputs = {30, 31, 32, 33, 34, 35, 36};
        Network net = new Network(n, new int[] {3, 0}, outputs, Activation.LOGISTIC, Loss.CROSS_ENTROPY, null,
                new int[0][], new Parameters(n, weights, biases, initial));
        Set<String> ignored = new TreeSet<>();
        List<Sequence> seqs = new ArrayList<>();
        for (int s = 0; s < 29; s++) {
            seqs.add(sequence(net, s % 3 == 0 ? 70 : 100, rnd, ignored, "s" + s));
        }
        Gradients expected = GradientSum.plain(net, seqs);
        assertClose(expected, BatchBptt.sum(net, seqs), TOLERANCE, "N=37 single-threaded");
        assertIdentical(BatchBptt.sum(net, seqs), BatchBptt.sum(net, seqs, 2), "N=37 two threads");
    }

    @Test
    void anEmptyBatchIsZero() {
        Batch b = randomBatch(3);
        Gradients g = BatchBptt.sum(b.net(), List.of(), 2);
        assertEquals(0, g.count);
        assertEquals(0.0, g.loss);
        assertEquals(0.0, g.norm());
    }

    @Test
    void chunksGroupByLengthInOrderAndSplitEvenly() {
        Batch b = randomBatch(11);
        Network net = b.net();
        List<Sequence> seqs = new ArrayList<>();
        int[] lengths = {5, 3, 5, 5, 3, 5, 5, 5, 5, 5, 5, 5, 5, 7};
        for (int k = 0; k < lengths.length; k++) {
            seqs.add(new Sequence("s" + k, lengths[k], null, null, null, net.inputCount(), List.of()));
        }
        List<List<Sequence>> chunks = BatchBptt.chunks(seqs, 4);
        List<String> got = new ArrayList<>();
        for (List<Sequence> chunk : chunks) {
            got.add(String.join(",", chunk.stream().map(Sequence::id).toList()));
        }
        // eleven of length 5 in three chunks of 4, 4, 3; then the two of length 3; then the single 7
        assertEquals(List.of("s0,s2,s3,s5", "s6,s7,s8,s9", "s10,s11,s12", "s1,s4", "s13"), got);
    }

    @Test
    void aFailureInAHelperThreadReachesTheCaller() {
        Batch b = batches().stream().filter(x -> x.net().inputCount() > 0 && x.seqs().size() > 8).findFirst().orElseThrow();
        List<Sequence> seqs = new ArrayList<>(b.seqs());
        // a sequence whose inputs stop after the first step: input(t, k) reads past its array
        int[] inputs = b.net().inputUnits();
        seqs.add(new Sequence("broken", 9, null, null, new double[inputs.length], inputs.length, List.of()));
        assertThrows(ArrayIndexOutOfBoundsException.class, () -> BatchBptt.sum(b.net(), seqs, 3));
    }

    // ---- the reference cases ------------------------------------------------------------------

    static Stream<Named<Path>> referenceCases() {
        return TestSupport.cases("gradients").stream().map(p -> Named.of(p.getFileName().toString(), p));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceCases")
    void referenceCaseAsABatchOfOneAndOfCopies(Path dir) {
        Network net = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
        Sequence seq = SequenceJson.read(dir.resolve("sequence.json"), net, Limits.DEFAULT);
        JsonNode expected = TestSupport.json(dir.resolve("expected.json"));
        for (int copies : new int[] {1, 5, 16}) {
            List<Sequence> batch = Collections.nCopies(copies, seq);
            for (int threads : new int[] {1, 2}) {
                Gradients g = BatchBptt.sum(net, batch, threads);
                String what = dir.getFileName() + " x" + copies + " on " + threads + " threads";
                assertEquals(copies, g.count, what + ": count");
                assertReference(expected, copies, g, what);
            }
        }
    }

    private static void assertReference(JsonNode expected, int copies, Gradients g, String what) {
        int n = g.units;
        double tol = TestSupport.REFERENCE_TOLERANCE;
        checkNumber(copies * expected.get("loss").doubleValue(), g.loss, copies, tol, what + " loss");
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                checkNumber(copies * expected.get("weights").get(j).get(i).doubleValue(), g.weights[j * n + i], copies, tol,
                        what + " weights[" + j + "][" + i + "]");
            }
            checkNumber(copies * expected.get("biases").get(j).doubleValue(), g.biases[j], copies, tol, what + " biases[" + j + "]");
            checkNumber(copies * expected.get("initialState").get(j).doubleValue(), g.initialState[j], copies, tol,
                    what + " initialState[" + j + "]");
        }
    }

    /** k * expected within the reference tolerance of one copy, scaled by k. */
    private static void checkNumber(double expected, double got, int copies, double tol, String what) {
        if (Math.abs(got - expected) > tol * Math.max(copies, Math.abs(expected))) {
            fail(what + ": got " + got + ", expected " + expected);
        }
    }

    // ---- comparisons ----------------------------------------------------------------------------

    private static Gradients scaled(Gradients g, int k) {
        Gradients s = new Gradients(g.units);
        for (int c = 0; c < k; c++) {
            s.add(g);
        }
        return s;
    }

    /**
     * Every entry within {@code rel} of the expected value, relative to the larger of that value
     * and the largest entry of its kind (an entry that cancels to near zero is compared at the
     * scale of its neighbours), plus equal counts.
     */
    static void assertClose(Gradients expected, Gradients got, double rel, String what) {
        assertEquals(expected.count, got.count, what + ": count");
        assertEquals(expected.units, got.units, what + ": units");
        assertEquals(expected.binaryTargets, got.binaryTargets, what + ": binary targets");
        assertEquals(expected.binaryRight, got.binaryRight, what + ": binary targets right");
        closeArray(new double[] {expected.loss}, new double[] {got.loss}, rel, what + " loss");
        closeArray(expected.weights, got.weights, rel, what + " weights");
        closeArray(expected.biases, got.biases, rel, what + " biases");
        closeArray(expected.initialState, got.initialState, rel, what + " initialState");
    }

    private static void closeArray(double[] expected, double[] got, double rel, String what) {
        double scale = 0.0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int k = 0; k < expected.length; k++) {
            double e = expected[k];
            double g = got[k];
            if (Double.isNaN(e) || Double.isNaN(g) || Math.abs(g - e) > rel * Math.max(Math.abs(e), scale)) {
                fail(what + "[" + k + "]: got " + g + ", expected " + e + " (difference " + Math.abs(g - e)
                        + ", scale " + scale + ")");
            }
        }
    }

    private static void assertIdentical(Gradients expected, Gradients got, String what) {
        assertEquals(expected.count, got.count, what + ": count");
        assertEquals(Double.doubleToRawLongBits(expected.loss), Double.doubleToRawLongBits(got.loss), what + ": loss bits");
        assertArrayEquals(expected.weights, got.weights, 0.0, what + ": weights");
        assertArrayEquals(expected.biases, got.biases, 0.0, what + ": biases");
        assertArrayEquals(expected.initialState, got.initialState, 0.0, what + ": initialState");
        for (int k = 0; k < expected.weights.length; k++) {
            if (Double.doubleToRawLongBits(expected.weights[k]) != Double.doubleToRawLongBits(got.weights[k])) {
                fail(what + ": weights[" + k + "] differs in its bits");
            }
        }
    }
}
