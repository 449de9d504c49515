package dev.unroll.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Limits;
import dev.unroll.model.Parameters;
import dev.unroll.model.TestSupport;
import dev.unroll.model.KeyedNetwork;

/** The {@code key} field of a sequence and the per-key parameters file. */
class KeyedNetworksTest {
    private static final Path PK1 = TestSupport.examples().resolve("per-key/pk1-three-keys");

    @Test
    void readsTheReferenceFileAndWritesItBackInTheSameOrder(@TempDir Path dir) throws IOException {
        List<KeyedNetwork> expected = KeyedNetworks.read(PK1.resolve("expected.jsonl"), Limits.DEFAULT);
        assertEquals(List.of("pump-1", "pump-2", "valve/ü"), expected.stream().map(KeyedNetwork::key).toList());
        assertEquals(11, expected.get(0).sequencesTrained());

        List<KeyedNetwork> shuffled = new ArrayList<>(expected);
        java.util.Collections.reverse(shuffled);
        Path out = dir.resolve("out.jsonl");
        Files.writeString(out, KeyedNetworks.write(shuffled), StandardCharsets.UTF_8);
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).startsWith("{\"key\": \"valve/ü\""), lines.get(2));
        List<KeyedNetwork> back = KeyedNetworks.read(out, Limits.DEFAULT);
        for (int k = 0; k < 3; k++) {
            assertEquals(expected.get(k).key(), back.get(k).key());
            Parameters a = expected.get(k).network().parameters();
            Parameters b = back.get(k).network().parameters();
            assertTrue(java.util.Arrays.equals(a.weights, b.weights) && java.util.Arrays.equals(a.biases, b.biases)
                    && java.util.Arrays.equals(a.initialState, b.initialState), "parameters read back exactly");
        }
    }

    @Test
    void sortsByCodePointNotByUtf16Units() {
        String supplementary = new String(Character.toChars(0x1F600)); // a surrogate pair, 0xD83D ...
        String privateUse = "\uE000";
        assertTrue(supplementary.compareTo(privateUse) < 0, "Java's String order puts the pair first");
        assertTrue(KeyedNetwork.KEY_ORDER.compare(privateUse, supplementary) < 0);
        assertTrue(KeyedNetwork.KEY_ORDER.compare("pump", "pump-1") < 0);
        assertEquals(0, KeyedNetwork.KEY_ORDER.compare("valve/ü", "valve/ü"));
    }

    @Test
    void refusesUnsortedOrRepeatedKeys(@TempDir Path dir) throws IOException {
        List<String> lines = Files.readAllLines(PK1.resolve("expected.jsonl"), StandardCharsets.UTF_8);
        Path swapped = dir.resolve("swapped.jsonl");
        Files.write(swapped, List.of(lines.get(1), lines.get(0)), StandardCharsets.UTF_8);
        ModelException e = assertThrows(ModelException.class, () -> KeyedNetworks.read(swapped, Limits.DEFAULT));
        assertTrue(e.getMessage().contains("distinct and sorted"), e.getMessage());
        List<KeyedNetwork> one = KeyedNetworks.read(PK1.resolve("expected.jsonl"), Limits.DEFAULT).subList(0, 1);
        List<KeyedNetwork> twice = new ArrayList<>(one);
        twice.addAll(one);
        assertThrows(IllegalArgumentException.class, () -> KeyedNetworks.write(twice));
    }

    @Test
    void aSequenceCarriesItsKeyThroughJsonAndTheBinaryCodec() throws IOException {
        Network net = NetworkJson.read(PK1.resolve("network.json"), Limits.DEFAULT);
        String line = Files.readAllLines(PK1.resolve("data.jsonl"), StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains("valve")).findFirst().orElseThrow();
        Sequence seq = SequenceJson.parse(line, "data.jsonl", net, Limits.DEFAULT);
        assertEquals("valve/ü", seq.key());
        assertEquals("valve/ü", SequenceJson.parse(SequenceJson.write(seq), "again", net, Limits.DEFAULT).key());
        assertEquals("valve/ü", SequenceCodec.decode(SequenceCodec.encode(seq)).key());
        Sequence unkeyed = seq.withKey(null);
        assertNull(SequenceCodec.decode(SequenceCodec.encode(unkeyed)).key());
        assertTrue(!SequenceJson.write(unkeyed).contains("\"key\""));
        assertEquals("pump-9", unkeyed.withKey("pump-9").key());
    }

    @Test
    void aKeyMustBeANonEmptyStringOfBoundedLength() {
        Network net = NetworkJson.parse("{\"units\":1,\"weights\":[[0]],\"biases\":[0],\"initialState\":[0]}", "net", Limits.DEFAULT);
        assertEquals("net.json: key: must be a string, found the number 7", message(net, "{\"key\":7,\"steps\":1,\"targets\":[]}"));
        assertEquals("net.json: key: must not be empty", message(net, "{\"key\":\"\",\"steps\":1,\"targets\":[]}"));
        String longKey = "k".repeat(SequenceJson.MAX_KEY_LENGTH + 1);
        assertTrue(message(net, "{\"key\":\"" + longKey + "\",\"steps\":1,\"targets\":[]}").contains("more than the limit of 1024"));
    }

    private static String message(Network net, String text) {
        return assertThrows(ModelException.class, () -> SequenceJson.parse(text, "net.json", net, Limits.DEFAULT)).getMessage();
    }
}
