package dev.unroll.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;
import dev.unroll.model.Activation;
import dev.unroll.model.Loss;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The generators: reproducible, valid for their network, and saying what the lecture's experiments say. */
class TasksTest {
    static final List<String> JOBS = List.of("binary-addition", "attractor", "initial-state", "initial-state-frozen",
            "initial-state-per-key");

    static JobConfig job(String name) {
        return JobConfig.read(Path.of("jobs", name + ".yaml"));
    }

    private static List<String> lines(Task task, long seed, int count, String prefix) {
        List<String> out = new ArrayList<>();
        for (Sequence seq : Tasks.sample(task, seed, count, prefix)) {
            out.add(SequenceJson.write(seq));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"binary-addition", "attractor", "initial-state", "initial-state-frozen", "initial-state-per-key"})
    void sameSeedSameSequencesOtherSeedOthers(String name) {
        JobConfig config = job(name);
        Network net = config.loadNetwork();
        List<String> a = lines(Tasks.fromJob(config, net), 7, 100, "x");
        List<String> b = lines(Tasks.fromJob(config, config.loadNetwork()), 7, 100, "x");
        assertEquals(a, b, "a task built twice from the same job and seed");
        List<String> c = lines(Tasks.fromJob(config, net), 8, 100, "x");
        assertNotEquals(a, c);
        assertEquals("x-0", Tasks.sample(Tasks.fromJob(config, net), 7, 1, "x").get(0).id());
        assertNull(Tasks.sample(Tasks.fromJob(config, net), 7, 1, null).get(0).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"binary-addition", "attractor", "initial-state", "initial-state-frozen", "initial-state-per-key"})
    void everySequenceValidatesAgainstTheJobsNetwork(String name) {
        JobConfig config = job(name);
        Network net = config.loadNetwork();
        for (Sequence seq : Tasks.sample(Tasks.fromJob(config, net), 3, 500, name)) {
            String json = SequenceJson.write(seq);
            Sequence back = SequenceJson.parse(json, name, net, config.limits());
            assertEquals(json, SequenceJson.write(back), "the written form reads back unchanged");
            assertFalse(seq.targets().isEmpty());
        }
    }

    /** Decodes each case's two numbers from the inputs and checks every target is a bit of their sum. */
    @Test
    void binaryAdditionTargetsAreTheSumBits() {
        JobConfig config = job("binary-addition");
        Network net = config.loadNetwork();
        Task task = Tasks.fromJob(config, net);
        Set<Integer> widths = new HashSet<>();
        for (Sequence seq : Tasks.sample(task, 11, 2000, null)) {
            checkAddition(seq, 2, true, 2, 0.0);
            widths.add(seq.steps() - 2);   // T = columns - 1 + delay = (bits + 1) - 1 + 2
        }
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), widths, "every width of minBits..maxBits occurs");
    }

    @Test
    void binaryAdditionOtherDelaysAndTanh() {
        Network tanh = NetworkFactory.random(6, new int[]{4, 1}, new int[]{2}, Activation.TANH, Loss.SQUARED, 0.5, 0.0, 1);
        Map<String, Object> section = section("binary-addition", "minBits", 3, "maxBits", 5, "delay", 3, "carryOut", false);
        Task task = Tasks.fromSection(section, "test.yaml", tanh);
        for (Sequence seq : Tasks.sample(task, 1, 500, null)) {
            checkAddition(seq, 3, false, 2, -1.0);
            int bits = seq.steps() - 3 + 1;
            assertTrue(bits >= 3 && bits <= 5, "bits " + bits);
        }
        // an explicit output unit
        Task other = Tasks.fromSection(section("binary-addition", "outputUnit", 5), "test.yaml", tanh);
        assertArrayEquals(new int[]{5}, other.generate(new java.util.SplittableRandom(1)).targets().get(0).units());
    }

    /** inputs row t holds column t of (a, b); the target at t = k + delay is bit k of a + b. */
    private static void checkAddition(Sequence seq, int delay, boolean carryOut, int unit, double low) {
        int columns = seq.steps() - delay + 1;
        int bits = columns - (carryOut ? 1 : 0);
        long a = 0;
        long b = 0;
        for (int t = 0; t < seq.steps(); t++) {
            for (int k = 0; k < 2; k++) {
                double v = seq.input(t, k);
                assertTrue(v == low || v == 1.0, "a binary input");
                if (t >= bits) {
                    assertEquals(low, v, "no input beyond the numbers' bits");
                }
            }
            a |= (seq.input(t, 0) == 1.0 ? 1L : 0L) << t;
            b |= (seq.input(t, 1) == 1.0 ? 1L : 0L) << t;
        }
        long sum = a + b;
        assertEquals(columns, seq.targets().size());
        long decoded = 0;
        for (Sequence.Target target : seq.targets()) {
            int k = target.t() - delay;
            assertArrayEquals(new int[]{unit}, target.units());
            double v = target.values()[0];
            assertTrue(v == low || v == 1.0);
            decoded |= (v == 1.0 ? 1L : 0L) << k;
        }
        long mask = columns >= 63 ? -1L : (1L << columns) - 1;
        assertEquals(sum & mask, decoded, a + " + " + b);
        if (carryOut) {
            assertEquals(sum, decoded, "with the carry-out column the targets spell the whole sum");
        }
    }

    @Test
    void attractorStartsNearAStoredPatternAndTargetsIt() {
        JobConfig config = job("attractor");
        Network net = config.loadNetwork();
        Attractor task = (Attractor) Tasks.fromJob(config, net);
        int[][] patterns = task.patterns();
        int[] visible = task.visibleUnits();
        assertEquals(4, patterns.length);
        int[] flipCounts = new int[3];
        Set<Integer> lengths = new HashSet<>();
        for (Sequence seq : Tasks.sample(task, 5, 2000, null)) {
            lengths.add(seq.steps());
            assertFalse(seq.hasInputs());
            assertArrayEquals(visible, seq.initialUnits(), "the data gives every visible unit, the hidden ones start learned");
            assertEquals(3, seq.targets().size());
            double[] clean = seq.targets().get(0).values();
            for (int e = 0; e < 3; e++) {
                Sequence.Target target = seq.targets().get(e);
                assertEquals(seq.steps() - 2 + e, target.t(), "the last three steps");
                assertArrayEquals(visible, target.units());
                assertArrayEquals(clean, target.values());
            }
            int stored = -1;
            for (int p = 0; p < patterns.length; p++) {
                if (Attractor.distance(patterns[p], bits(clean)) == 0) {
                    stored = p;
                }
            }
            assertTrue(stored >= 0, "the target is a stored pattern");
            int flips = Attractor.distance(patterns[stored], bits(seq.initialValues()));
            assertTrue(flips <= 2, "at most maxFlips units flipped, found " + flips);
            flipCounts[flips]++;
            for (int p = 0; p < patterns.length; p++) {
                if (p != stored) {
                    assertTrue(Attractor.distance(patterns[p], bits(seq.initialValues())) > flips, "nearest its own pattern");
                }
            }
        }
        assertEquals(Set.of(4, 5, 6, 7, 8), lengths, "T drawn from minSteps..steps");
        for (int f = 0; f <= 2; f++) {
            assertTrue(flipCounts[f] > 500, "0, 1 and 2 flips all occur: " + java.util.Arrays.toString(flipCounts));
        }
    }

    @Test
    void attractorPartialStartAndGeneratedPatterns() {
        Network net = NetworkFactory.random(12, new int[0], new int[]{0, 1, 2, 3, 4, 5, 6, 7}, Activation.LOGISTIC,
                Loss.SQUARED, 0.5, 0.5, 3);
        Map<String, Object> section = section("attractor", "patternCount", 3, "patternSeed", 9, "given", 5,
                "minFlips", 1, "maxFlips", 1, "steps", 6, "settleSteps", 2);
        Attractor task = (Attractor) Tasks.fromSection(section, "test.yaml", net);
        int[][] patterns = task.patterns();
        for (int p = 0; p < 3; p++) {
            for (int q = 0; q < p; q++) {
                assertTrue(Attractor.distance(patterns[p], patterns[q]) >= 3, "drawn patterns are far enough apart");
            }
        }
        Attractor again = (Attractor) Tasks.fromSection(section, "test.yaml", net);
        assertArrayEquals(patterns, again.patterns(), "patternSeed fixes the patterns");
        for (Sequence seq : Tasks.sample(task, 1, 200, null)) {
            assertEquals(5, seq.initialUnits().length);
            assertEquals(6, seq.steps());
            assertEquals(List.of(5, 6), seq.targets().stream().map(Sequence.Target::t).toList());
            int differ = 0;
            double[] clean = seq.targets().get(0).values();
            for (int k = 0; k < 5; k++) {
                int u = seq.initialUnits()[k];
                assertTrue(u < 8, "only visible units are given");
                differ += seq.initialValues()[k] != clean[u] ? 1 : 0;
            }
            assertEquals(1, differ, "exactly one given unit flipped");
        }
    }

    @Test
    void initialStatePlaysTheSequenceWithNoInputs() {
        JobConfig config = job("initial-state");
        Network net = config.loadNetwork();
        Task task = Tasks.fromJob(config, net);
        double[][] rows = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {0, 1, 1}, {1, 1, 1}, {1, 0, 1}, {0, 0, 0}};
        Set<Integer> lengths = new HashSet<>();
        for (Sequence seq : Tasks.sample(task, 2, 300, null)) {
            lengths.add(seq.steps());
            assertFalse(seq.hasInputs());
            assertEquals(0, seq.initialUnits().length, "nothing of the start comes from the data");
            assertEquals(seq.steps(), seq.targets().size());
            for (Sequence.Target target : seq.targets()) {
                assertArrayEquals(new int[]{0, 1, 2}, target.units());
                assertArrayEquals(rows[target.t() - 1], target.values());
            }
        }
        assertEquals(Set.of(4, 5, 6, 7, 8), lengths);
        Task drawn = Tasks.fromSection(section("initial-state", "length", 5, "patternSeed", 4), "t.yaml", net);
        Sequence seq = drawn.generate(new java.util.SplittableRandom(0));
        assertEquals(5, seq.steps());
    }

    /**
     * Per key: every sequence names its device, every device always asks for the same rows whatever
     * the seed (they come from the job's patternSeed), and the devices ask for different ones.
     */
    @Test
    void perKeyEachDevicePlaysItsOwnSequence() {
        JobConfig config = job("initial-state-per-key");
        Network net = config.loadNetwork();
        PerKeyInitialState task = (PerKeyInitialState) Tasks.fromJob(config, net);
        assertEquals(20, task.keys().size());
        assertEquals("device-00000", task.keys().get(0));
        assertEquals("device-00017", task.keys().get(17));
        Map<String, List<List<Integer>>> seen = new LinkedHashMap<>();
        Set<Integer> lengths = new HashSet<>();
        for (long seed : new long[]{1, 2}) {
            for (Sequence seq : Tasks.sample(task, seed, 1000, null)) {
                int k = task.keys().indexOf(seq.key());
                assertTrue(k >= 0, "a device of the job: " + seq.key());
                assertFalse(seq.hasInputs());
                assertEquals(0, seq.initialUnits().length, "nothing of the start comes from the data");
                lengths.add(seq.steps());
                List<List<Integer>> played = new ArrayList<>();
                for (Sequence.Target target : seq.targets()) {
                    assertEquals(played.size() + 1, target.t());
                    assertArrayEquals(new int[]{0, 1, 2}, target.units());
                    played.add(java.util.Arrays.stream(target.values()).mapToObj(v -> (int) v).toList());
                }
                assertEquals(task.rows(k).subList(0, seq.steps()), played, seq.key());
                seen.put(seq.key(), task.rows(k));
            }
        }
        assertEquals(20, seen.size(), "1,000 draws reach every device");
        assertEquals(Set.of(4, 5, 6), lengths);
        assertTrue(new HashSet<>(seen.values()).size() >= 18, "the devices' sequences differ: " + new HashSet<>(seen.values()).size());

        Task other = Tasks.fromSection(section("initial-state-per-key", "keys", 120_000, "keyPrefix", "pump/", "patternSeed", 2),
                "t.yaml", net);
        Sequence seq = other.generate(new java.util.SplittableRandom(3));
        assertTrue(seq.key().matches("pump/\\d{6}"), "six digits for 120,000 keys: " + seq.key());
        assertNotEquals(task.rows(0), ((PerKeyInitialState) other).rows(0), "another patternSeed, other sequences");
    }

    // ----- the task section's checks -----

    private static Map<String, Object> section(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", keyValues[0]);
        for (int k = 1; k < keyValues.length; k += 2) {
            m.put((String) keyValues[k], keyValues[k + 1]);
        }
        return m;
    }

    private static String error(Map<String, Object> section, Network net) {
        return assertThrows(JobException.class, () -> Tasks.fromSection(section, "job.yaml", net)).getMessage();
    }

    @Test
    void badSectionsNameTheKey() {
        Network adder = job("binary-addition").loadNetwork();
        Network attractor = job("attractor").loadNetwork();
        Network player = job("initial-state").loadNetwork();

        assertTrue(error(section("binary-addition", "maxbits", 4), adder).startsWith("job.yaml: task.maxbits: unknown key"));
        assertTrue(error(section("binary-addition", "maxBits", "eight"), adder)
                .equals("job.yaml: task.maxBits: must be a whole number, found \"eight\""));
        assertTrue(error(section("binary-addition", "maxBits", 2.5), adder).contains("task.maxBits: must be a whole number, found 2.5"));
        assertTrue(error(section("binary-addition", "maxBits", 63), adder).contains("task.maxBits: must be in 1..62, found 63"));
        assertTrue(error(section("binary-addition", "minBits", 5, "maxBits", 4), adder).contains("task.maxBits: must be at least minBits"));
        assertTrue(error(section("binary-addition", "carryOut", "yes"), adder).contains("task.carryOut: must be true or false"));
        assertTrue(error(section("binary-addition"), attractor).contains("task.type: binary-addition needs a network with exactly 2 input units"));
        assertTrue(error(section("binary-addition", "outputUnit", 0), adder).contains("task.outputUnit: unit 0 is an input unit"));
        assertTrue(error(section("binary-addition", "outputUnit", 9), adder).contains("task.outputUnit: must be in 0..8"));
        assertTrue(error(section("adding"), adder).contains("task.type: must be one of binary-addition, attractor, initial-state, initial-state-per-key, found \"adding\""));
        assertTrue(error(new LinkedHashMap<>(Map.of("minBits", 3)), adder).contains("task.type: missing"));
        assertTrue(error(new LinkedHashMap<>(), adder).contains("job.yaml: task: missing"));

        assertTrue(error(section("attractor", "patterns", List.of(List.of(1, 0))), attractor)
                .contains("task.patterns[0]: must have 10 values (one per unit), found 2"));
        assertTrue(error(section("attractor", "patterns", List.of(List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 2))), attractor)
                .contains("task.patterns[0][9]: must be in 0..1, found 2"));
        assertTrue(error(section("attractor", "patterns", List.of(List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), List.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0))), attractor)
                .contains("task.patterns[1]: differs from patterns[0] in 2 units"));
        assertTrue(error(section("attractor", "patternCount", 40, "maxFlips", 2), attractor).contains("task.patternCount: cannot draw 40 patterns"));
        assertTrue(error(section("attractor", "visibleUnits", List.of(0, 0)), attractor).contains("task.visibleUnits[1]: unit 0 is listed twice"));
        assertTrue(error(section("attractor", "settleSteps", 5, "minSteps", 4, "steps", 8), attractor).contains("task.settleSteps: must be in 1..4"));
        assertTrue(error(section("attractor", "given", 1, "maxFlips", 2), attractor).contains("task.maxFlips: cannot flip more units than the 1 given"));
        assertTrue(error(section("attractor", "patterns", "none"), attractor).contains("task.patterns: must be a non-empty list"));

        assertTrue(error(section("initial-state", "sequence", List.of(List.of(1, 0))), player).contains("task.sequence[0]: must have 3 values"));
        assertTrue(error(section("initial-state", "length", 4, "minSteps", 5), player).contains("task.minSteps: must be in 1..4"));
        assertTrue(error(section("initial-state", "sequence", List.of(List.of(1, 0, 0)), "length", 3), player)
                .contains("task.length: only without task.sequence"));
        assertTrue(error(section("initial-state-per-key", "keys", 0), player).contains("task.keys: must be in 1..10000000, found 0"));
        assertTrue(error(section("initial-state-per-key", "keyPrefix", "x".repeat(1020)), player).contains("task.keyPrefix: makes keys such as"));
        assertTrue(error(section("initial-state-per-key", "length", 3, "minSteps", 4), player).contains("task.minSteps: must be in 1..3"));
        assertTrue(error(section("initial-state-per-key", "sequence", List.of()), player).startsWith("job.yaml: task.sequence: unknown key"));
        Network silent = NetworkFactory.random(4, new int[0], new int[0], Activation.LOGISTIC, Loss.SQUARED, 0.5, 0.5, 1);
        assertTrue(error(section("initial-state-per-key"), silent).contains("task.type: initial-state-per-key needs a network with outputUnits"));
    }

    /** Through a real job file: the message names the file and the key. */
    @Test
    void aJobFilesTaskErrorNamesTheFile(@TempDir Path dir) throws IOException {
        Path net = Path.of("jobs", "binary-addition.network.json").toAbsolutePath();
        Path file = Files.writeString(dir.resolve("j.yaml"), "network: " + net + "\ntask:\n  type: binary-addition\n  delay: [2]\n");
        JobConfig config = JobConfig.read(file);
        JobException e = assertThrows(JobException.class, () -> Tasks.fromJob(config, config.loadNetwork()));
        assertEquals(config.file() + ": task.delay: must be a whole number, found a list", e.getMessage());
    }

    @Test
    void networkFactoryIsReproducible() {
        Network a = NetworkFactory.random(5, new int[]{0}, new int[]{4}, Activation.LOGISTIC, Loss.SQUARED, 0.5, 0.25, 3);
        Network b = NetworkFactory.random(5, new int[]{0}, new int[]{4}, Activation.LOGISTIC, Loss.SQUARED, 0.5, 0.25, 3);
        Network c = NetworkFactory.random(5, new int[]{0}, new int[]{4}, Activation.LOGISTIC, Loss.SQUARED, 0.5, 0.25, 4);
        assertEquals(a.parameters(), b.parameters());
        assertNotEquals(a.parameters(), c.parameters());
        for (double w : a.parameters().weights) {
            assertTrue(Math.abs(w) <= 0.5);
        }
        for (double s : a.parameters().initialState) {
            assertEquals(0.25, s);
        }
    }

    private static int[] bits(double[] values) {
        int[] out = new int[values.length];
        for (int k = 0; k < values.length; k++) {
            out[k] = values[k] == 1.0 ? 1 : 0;
        }
        return out;
    }
}
