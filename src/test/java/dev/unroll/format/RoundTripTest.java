package dev.unroll.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.Bptt;
import dev.unroll.model.Limits;
import dev.unroll.model.Gradients;
import dev.unroll.model.Parameters;
import dev.unroll.model.RandomCases;
import dev.unroll.model.TestSupport;

/**
 * Writing and reading the formats loses nothing: a network comes back with the same parameters
 * bit-for-bit and the same structure; a sequence comes back giving the same gradient.
 */
class RoundTripTest {
    private static final List<RandomCases.Case> CASES = RandomCases.generate(0xC0FFEEL, 150);

    @Test
    void networksRoundTripBitForBit() {
        for (RandomCases.Case c : CASES) {
            Network net = c.net();
            String text = NetworkJson.write(net, null);
            Network back = NetworkJson.parse(text, c.toString(), Limits.DEFAULT);
            assertTrue(net.sameStructure(back), c + ": structure changed");
            assertEquals(net.parameters(), back.parameters(), c + ": parameters changed");
            assertEquals(text, NetworkJson.write(back, null), c + ": writing is not stable");
        }
    }

    @Test
    void awkwardNumbersRoundTripBitForBit() {
        Network base = CASES.stream().filter(c -> c.net().units() >= 3 && !c.net().hasMask() && c.net().tiedGroups().length == 0)
                .findFirst().orElseThrow().net();
        Parameters p = base.parameters().copy();
        double[] awkward = {Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -0.0, 1.0 / 3.0, Math.PI * 1e200,
                Math.ulp(1.0), 1e-310, -123456789.123456789, 0.1 + 0.2};
        for (int k = 0; k < awkward.length; k++) {
            p.weights[k % p.weights.length] = awkward[k];
            p.biases[k % p.units] = -awkward[k];
            p.initialState[(k + 1) % p.units] = awkward[k] / 7;
        }
        Network net = base.withParameters(p);
        Network back = NetworkJson.parse(NetworkJson.write(net, null), "awkward", Limits.DEFAULT);
        assertEquals(p, back.parameters());
        for (int k = 0; k < p.weights.length; k++) {
            assertEquals(Double.doubleToRawLongBits(p.weights[k]), Double.doubleToRawLongBits(back.parameters().weights[k]));
        }
    }

    @Test
    void provenanceIsWrittenAndAccepted(@TempDir Path dir) throws Exception {
        Network net = CASES.get(0).net();
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("job", "round \"trip\"\n");
        provenance.put("version", 12);
        Path file = Files.writeString(dir.resolve("net.json"), NetworkJson.write(net, provenance));
        Network back = NetworkJson.read(file, Limits.DEFAULT);
        assertEquals(net.parameters(), back.parameters());
        assertEquals("round \"trip\"\n", TestSupport.json(file).get("provenance").get("job").textValue());
    }

    @Test
    void sequencesRoundTripToTheSameGradient() {
        for (RandomCases.Case c : CASES) {
            String text = SequenceJson.write(c.seq());
            assertTrue(!text.contains("\n"), "one line, for .jsonl files and Kafka records");
            Sequence back = SequenceJson.parse(text, c.toString(), c.net(), Limits.DEFAULT);
            assertEquals(c.seq().id(), back.id());
            assertEquals(c.seq().steps(), back.steps());
            assertEquals(c.seq().targetTermCount(), back.targetTermCount());
            Gradients before = Bptt.gradient(c.net(), c.seq());
            Gradients after = Bptt.gradient(c.net(), back);
            assertEquals(before.loss, after.loss, c + ": loss");
            assertArrayEquals(before.weights, after.weights, c + ": weights");
            assertArrayEquals(before.biases, after.biases, c + ": biases");
            assertArrayEquals(before.initialState, after.initialState, c + ": initialState");
            assertEquals(text, SequenceJson.write(back), c + ": writing is not stable");
        }
    }

    /** The reference files, read, written and read again, give the same gradients as read once. */
    @Test
    void referenceFilesSurviveRewriting() {
        for (Path dir : TestSupport.cases("gradients")) {
            Network net = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
            Sequence seq = SequenceJson.read(dir.resolve("sequence.json"), net, Limits.DEFAULT);
            Network net2 = NetworkJson.parse(NetworkJson.write(net, null), "rewritten", Limits.DEFAULT);
            Sequence seq2 = SequenceJson.parse(SequenceJson.write(seq), "rewritten", net2, Limits.DEFAULT);
            assertTrue(net.sameStructure(net2));
            Gradients a = Bptt.gradient(net, seq);
            Gradients b = Bptt.gradient(net2, seq2);
            assertEquals(a.loss, b.loss, dir.toString());
            assertArrayEquals(a.weights, b.weights, dir.toString());
            assertArrayEquals(a.biases, b.biases, dir.toString());
            assertArrayEquals(a.initialState, b.initialState, dir.toString());
        }
    }

    /** sameStructure really looks at the structure. */
    @Test
    void sameStructureTellsStructuresApart() {
        Network a = NetworkJson.parse(ValidityTest.NETWORK, "a", Limits.DEFAULT);
        Network otherParameters = a.withParameters(Parameters.zeros(4));
        assertTrue(a.sameStructure(otherParameters));
        Network noTies = NetworkJson.parse(ValidityTest.NETWORK.replace(
                ",\n  \"tied\": [[[0, 3], [1, 0], [2, 3]]]", ""), "b", Limits.DEFAULT);
        Network tanh = NetworkJson.parse(ValidityTest.NETWORK.replace("logistic", "tanh"), "c", Limits.DEFAULT);
        Network otherInputs = NetworkJson.parse(ValidityTest.NETWORK.replace("[2, 0]", "[0, 2]"), "d", Limits.DEFAULT);
        for (Network b : List.of(noTies, tanh, otherInputs)) {
            assertTrue(!a.sameStructure(b));
        }
        assertNotEquals(0, a.tiedGroups().length);
        assertEquals(0, noTies.tiedGroups().length);
    }
}
