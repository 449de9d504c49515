package dev.unroll.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Limits;
import dev.unroll.model.RandomCases;
import dev.unroll.model.TestSupport;

/**
 * The fast path reads what the tree parser reads, bit for bit, and hands everything else to it:
 * never accepts a sequence the tree parser rejects.
 */
class SequenceStreamTest {
    private static final List<RandomCases.Case> CASES = RandomCases.generate(0x5EEDL, 300);

    @Test
    void readsWhatTheTreeParserReads() {
        for (RandomCases.Case c : CASES) {
            String text = SequenceJson.write(c.seq());
            assertSame(SequenceJson.parseTree(text, "x", c.net(), Limits.DEFAULT, true),
                    SequenceStream.tryParse(text, c.net(), Limits.DEFAULT, true), c.toString());
        }
        for (Path dir : TestSupport.cases("gradients")) {
            Network net = NetworkJson.read(dir.resolve("network.json"), Limits.DEFAULT);
            String text = NetworkJson.readText(dir.resolve("sequence.json"));
            assertSame(SequenceJson.parseTree(text, "x", net, Limits.DEFAULT, true),
                    SequenceStream.tryParse(text, net, Limits.DEFAULT, true), dir.toString());
        }
    }

    @Test
    void anyFieldOrderAndSpacingAndNumberSpelling() {
        Network net = NetworkJson.parse(ValidityTest.NETWORK, "net", Limits.DEFAULT);
        int width = net.inputCount();
        String row = "[" + "0.1,".repeat(width - 1) + "-2E-3]";
        String text = " { \"targets\" : [ {\"values\": [1e0, 12345678901], \"t\": 2, \"units\": [0, 1]} ],\n"
                + "\"inputs\": [" + row + "," + row + "], \"steps\": 2, \"id\": \"a\\u00e9\", \"key\": \"device-7\","
                + " \"initial\": {\"values\": [0.25], \"units\": [1]} } ";
        Sequence fast = SequenceStream.tryParse(text, net, Limits.DEFAULT, true);
        assertNotNull(fast);
        assertSame(SequenceJson.parseTree(text, "x", net, Limits.DEFAULT, true), fast, text);
        assertEquals("a\u00e9", fast.id());
        assertEquals("device-7", fast.key());
        assertEquals(12345678901.0, fast.targets().get(0).values()[1]);
    }

    /** Text the tree parser rejects, or accepts in ways the fast path does not vouch for: the fast path returns null. */
    @Test
    void leavesEverythingElseToTheTreeParser() {
        Network net = NetworkJson.parse(ValidityTest.NETWORK, "net", Limits.DEFAULT);
        String row = "[" + "0,".repeat(net.inputCount() - 1) + "1]";
        String ok = "{\"steps\":1,\"inputs\":[" + row + "],\"targets\":[{\"t\":1,\"units\":[0],\"values\":[0.5]}]}";
        assertNotNull(SequenceStream.tryParse(ok, net, Limits.DEFAULT, true));
        List<String> rejected = List.of("", " ", "[]", "null", "{", ok + " {}", ok.replace("{\"steps\":1,", "{\"steps\":1,\"steps\":1,"),
                ok.replace("\"steps\":1", "\"steps\":0"), ok.replace("\"steps\":1", "\"steps\":-1"),
                ok.replace("\"steps\":1", "\"steps\":\"1\""), ok.replace("\"steps\":1,", ""),
                ok.replace("\"steps\":1", "\"steps\":1,\"extra\":1"), ok.replace("[0.5]", "[NaN]"),
                ok.replace("[0.5]", "[1e400]"), ok.replace("[0.5]", "[\"0.5\"]"), ok.replace("[0.5]", "[0.5,1]"),
                ok.replace("[0.5]", "[]"), ok.replace("\"units\":[0]", "\"units\":[" + net.units() + "]"),
                ok.replace("\"units\":[0]", "\"units\":[-1]"), ok.replace("\"t\":1", "\"t\":2"),
                ok.replace("\"t\":1", "\"t\":0"), ok.replace("\"t\":1,", ""), ok.replace("\"t\":1", "\"t\":1,\"t\":1"),
                ok.replace(row, row + "," + row), ok.replace("[" + row + "]", "[]"),
                ok.replace(row, "[1]"), ok.replace(row, row.replace("]", ",1]")),
                ok.replace(",\"targets\":[{\"t\":1,\"units\":[0],\"values\":[0.5]}]", ""),
                ok.replace("{\"steps\"", "{\"initial\":{\"units\":[1,1],\"values\":[0,0]},\"steps\""),
                ok.replace("{\"steps\"", "{\"initial\":{\"units\":[1],\"values\":[0,0]},\"steps\""),
                ok.replace("{\"steps\"", "{\"initial\":{\"units\":[1],\"units\":[1],\"values\":[0]},\"steps\""),
                ok.replace("{\"steps\"", "{\"id\":\"a\",\"id\":\"a\",\"steps\""),
                ok.replace("\"values\":[0.5]", "\"values\":[0.5],\"values\":[0.5]"),
                ok.replace("{\"steps\"", "{\"key\":\"\",\"steps\""),
                ok.replace("{\"steps\"", "{\"key\":7,\"steps\""),
                ok.replace("{\"steps\"", "{\"id\":7,\"steps\""));
        for (String text : rejected) {
            assertNull(SequenceStream.tryParse(text, net, Limits.DEFAULT, true), text);
            assertThrows(ModelException.class, () -> SequenceJson.parse(text, "x", net, Limits.DEFAULT), text);
        }
        String twoSteps = ok.replace("\"steps\":1", "\"steps\":2").replace("[" + row + "]", "[" + row + "," + row + "]");
        assertNotNull(SequenceStream.tryParse(twoSteps, net, Limits.DEFAULT, true));
        assertNull(SequenceStream.tryParse(twoSteps, net, new Limits(4096, 1), true), "over limits.maxSteps");
        // accepted by the tree parser only: the answer comes from it
        List<String> treeOnly = List.of(ok.replace("\"steps\":1", "\"steps\":1.0"), ok.replace("{\"steps\"", "{\"id\":null,\"steps\""),
                ok.replace("\"units\":[0]", "\"units\":[0.0]"), ok.replace("[0.5]", "[123456789012345678901234567890]"));
        Sequence expected = SequenceJson.parseTree(ok, "x", net, Limits.DEFAULT, true);
        for (String text : treeOnly) {
            assertNull(SequenceStream.tryParse(text, net, Limits.DEFAULT, true), text);
            if (text.contains("1234567890")) {
                assertEquals(1.2345678901234568E29, SequenceJson.parse(text, "x", net, Limits.DEFAULT).targets().get(0).values()[0]);
            } else {
                assertSame(expected, SequenceJson.parse(text, "x", net, Limits.DEFAULT), text);
            }
        }
    }

    @Test
    void requestsMayLeaveTargetsOut() {
        Network net = NetworkJson.parse(ValidityTest.NETWORK, "net", Limits.DEFAULT);
        String row = "[" + "0,".repeat(net.inputCount() - 1) + "1]";
        String request = "{\"steps\":1,\"inputs\":[" + row + "]}";
        assertNull(SequenceStream.tryParse(request, net, Limits.DEFAULT, true));
        Sequence fast = SequenceStream.tryParse(request, net, Limits.DEFAULT, false);
        assertNotNull(fast);
        assertSame(SequenceJson.parseTree(request, "x", net, Limits.DEFAULT, false), fast, request);
    }

    static void assertSame(Sequence expected, Sequence actual, String what) {
        assertNotNull(actual, what + ": the fast path gave up on a well-formed sequence");
        assertEquals(expected.id(), actual.id(), what);
        assertEquals(expected.key(), actual.key(), what);
        assertEquals(expected.steps(), actual.steps(), what);
        assertArrayEquals(expected.initialUnits(), actual.initialUnits(), what);
        assertArrayEquals(bits(expected.initialValues()), bits(actual.initialValues()), what);
        assertEquals(expected.hasInputs(), actual.hasInputs(), what);
        assertEquals(expected.inputWidth(), actual.inputWidth(), what);
        if (expected.hasInputs()) {
            for (int t = 0; t < expected.steps(); t++) {
                for (int k = 0; k < expected.inputWidth(); k++) {
                    assertEquals(Double.doubleToRawLongBits(expected.input(t, k)), Double.doubleToRawLongBits(actual.input(t, k)), what);
                }
            }
        }
        assertEquals(expected.targets().size(), actual.targets().size(), what);
        for (int e = 0; e < expected.targets().size(); e++) {
            Sequence.Target a = expected.targets().get(e);
            Sequence.Target b = actual.targets().get(e);
            assertEquals(a.t(), b.t(), what);
            assertArrayEquals(a.units(), b.units(), what);
            assertArrayEquals(bits(a.values()), bits(b.values()), what);
        }
    }

    private static long[] bits(double[] values) {
        long[] out = new long[values.length];
        for (int k = 0; k < values.length; k++) {
            out[k] = Double.doubleToRawLongBits(values[k]);
        }
        return out;
    }
}
