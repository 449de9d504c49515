package dev.unroll.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import dev.unroll.model.KeyedNetwork;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Limits;

/**
 * The per-key parameters file of {@code training.models: per-key}: JSON lines, one per key, sorted
 * by key, each {@code {"key": K, "version": V, "sequencesTrained": S, "network": {network.json}}}.
 * Keys are sorted by Unicode code point (the order of their UTF-8 bytes), not by Java's UTF-16
 * {@code compareTo}, which puts keys with characters beyond U+FFFF before some below it.
 */
public final class KeyedNetworks {
    private KeyedNetworks() {
    }

    /** The file's text: the entries sorted by key, one line each; two entries of one key are refused. */
    public static String write(Collection<KeyedNetwork> entries) {
        List<KeyedNetwork> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(KeyedNetwork::key, KeyedNetwork.KEY_ORDER));
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < sorted.size(); k++) {
            KeyedNetwork e = sorted.get(k);
            if (k > 0 && e.key().equals(sorted.get(k - 1).key())) {
                throw new IllegalArgumentException("key " + Json.write(e.key()) + " twice");
            }
            s.append("{\"key\": ").append(Json.write(e.key())).append(", \"version\": ").append(e.version())
                    .append(", \"sequencesTrained\": ").append(e.sequencesTrained()).append(", \"network\": ")
                    .append(oneLine(NetworkJson.write(e.network(), null))).append("}\n");
        }
        return s.toString();
    }

    /** Reads a per-key file, checking every network and that keys are distinct and sorted. */
    public static List<KeyedNetwork> read(Path file, Limits limits) {
        List<KeyedNetwork> entries = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                KeyedNetwork e = parseLine(line, file + ":" + number, limits);
                if (!entries.isEmpty() && KeyedNetwork.KEY_ORDER.compare(entries.get(entries.size() - 1).key(), e.key()) >= 0) {
                    throw new ModelException(file + ":" + number, "key", "keys must be distinct and sorted, found "
                            + Json.write(e.key()) + " after " + Json.write(entries.get(entries.size() - 1).key()));
                }
                entries.add(e);
            }
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "", "no such file");
        } catch (IOException e) {
            throw new ModelException(file.toString(), "", "cannot read: " + e.getMessage());
        }
        return entries;
    }

    /** One line; fields other than key, version, sequencesTrained and network are allowed and ignored. */
    static KeyedNetwork parseLine(String line, String source, Limits limits) {
        JsonReader r = new JsonReader(source);
        JsonNode root = r.parse(line);
        r.requireObject(root, "");
        String key = r.text(r.required(root, "key", ""), "key");
        String problem = SequenceJson.keyProblem(key);
        if (problem != null) {
            throw r.fail("key", problem);
        }
        Network network = NetworkJson.fromTree(r.required(root, "network", ""), source + " network", limits);
        return new KeyedNetwork(key, count(r, root, "version"), count(r, root, "sequencesTrained"), network);
    }

    private static long count(JsonReader r, JsonNode root, String field) {
        JsonNode node = JsonReader.optional(root, field);
        if (node == null) {
            return 0;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            throw r.fail(field, "must be a whole number of 0 or more, found " + JsonReader.kind(node));
        }
        return node.longValue();
    }

    /** network.json's text on one line: its line breaks and indentation only ever sit between tokens. */
    private static String oneLine(String pretty) {
        return pretty.replaceAll("\n *", "").trim();
    }

}
