package dev.unroll.report;

import dev.unroll.io.AtomicFile;
import dev.unroll.format.Json;
import dev.unroll.record.DeadLetter;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The records a run could not train on, with where each came from and why: the summary a
 * command prints at its end (how many, the most common reasons, where) and the JSON lines of
 * {@code --dead-letters FILE}, one rejected record per line with its reason and its original text.
 */
public final class Rejections {
    /** Reasons listed in a summary, most common first. */
    public static final int TOP_REASONS = 5;
    /** Places (lines or offsets) listed per reason. */
    private static final int PLACES = 5;

    /**
     * One rejected record.
     *
     * @param source where it came from: {@code FILE:LINE}, or {@code TOPIC/PARTITION@OFFSET}
     * @param line   its line number in a file, from 1; 0 when it came from a topic
     * @param stage  what rejected it: {@code decode} (not a valid sequence) or {@code bptt} (a non-finite gradient)
     * @param reason why, without the source
     * @param record the record's bytes as they arrived (null for a Kafka tombstone)
     */
    public record Rejection(String source, long line, String stage, String reason, byte[] record) {
        String place() {
            return line > 0 ? Long.toString(line) : source;
        }
    }

    private final List<Rejection> all = new ArrayList<>();

    public void add(Rejection r) {
        all.add(r);
    }

    public int size() {
        return all.size();
    }

    public List<Rejection> all() {
        return List.copyOf(all);
    }

    /**
     * The records of a dead-letter topic, each once (the sink is at-least-once). With {@code file}
     * given, the input was that file published to a topic, and {@code lineOf} gives the file's line
     * number of each (partition, offset).
     */
    public static Rejections fromDeadLetters(List<DeadLetter> deadLetters, Path file,
                                             java.util.function.BiFunction<Integer, Long, Long> lineOf) {
        Rejections r = new Rejections();
        Set<String> seen = new HashSet<>();
        for (DeadLetter d : deadLetters) {
            String origin = d.topic + "/" + d.partition + "@" + d.offset;
            if (!seen.add(d.stage + " " + origin)) {
                continue;
            }
            String reason = withoutPrefix(d.reason, origin);
            long line = file != null ? lineOf.apply(d.partition, d.offset) : 0;
            String source = file != null ? file + ":" + line : origin;
            r.add(new Rejection(source, line, d.stage, reason, d.value));
        }
        return r;
    }

    /** {@code message} without a leading {@code source + ": "}, as errors name their source first. */
    public static String withoutPrefix(String message, String source) {
        return message.startsWith(source + ": ") ? message.substring(source.length() + 2) : message;
    }

    /**
     * The end-of-run report, one line each, prefixed with {@code label}: the count (of
     * {@code records} when that is known, that is not negative), then the most common reasons with
     * where they occurred. Reasons that differ only in numbers count as one (the first is shown).
     */
    public List<String> summary(String label, long records) {
        List<String> lines = new ArrayList<>();
        if (all.isEmpty()) {
            return lines;
        }
        String of = records >= 0 ? " of " + records : "";
        boolean fromFile = all.get(0).line() > 0;
        lines.add(String.format(Locale.ROOT, "%s: %d%s records rejected, not trained; %s:", label, all.size(), of,
                all.size() == 1 ? "the reason" : "the most common reasons"));
        Map<String, List<Rejection>> groups = new LinkedHashMap<>();
        for (Rejection r : all) {
            groups.computeIfAbsent(r.reason().replaceAll("[0-9]+", "#"), k -> new ArrayList<>()).add(r);
        }
        List<List<Rejection>> ranked = new ArrayList<>(groups.values());
        ranked.sort((a, b) -> Integer.compare(b.size(), a.size()));
        int width = Integer.toString(ranked.get(0).size()).length();
        for (List<Rejection> group : ranked.subList(0, Math.min(TOP_REASONS, ranked.size()))) {
            Rejection first = group.get(0);
            boolean similar = group.stream().anyMatch(g -> !g.reason().equals(first.reason()));
            StringBuilder places = new StringBuilder(fromFile ? (group.size() == 1 ? "line " : "lines ") : "at ");
            for (int k = 0; k < Math.min(PLACES, group.size()); k++) {
                places.append(k == 0 ? "" : ", ").append(group.get(k).place());
            }
            if (group.size() > PLACES) {
                places.append(" and ").append(group.size() - PLACES).append(" more");
            }
            lines.add(String.format(Locale.ROOT, "%s: %" + width + "d x %s%s (%s)", label, group.size(), first.reason(),
                    similar ? " and similar" : "", places));
        }
        if (ranked.size() > TOP_REASONS) {
            int rest = ranked.subList(TOP_REASONS, ranked.size()).stream().mapToInt(List::size).sum();
            lines.add(String.format(Locale.ROOT, "%s: %" + width + "d x other reasons", label, rest));
        }
        return lines;
    }

    /**
     * Writes every rejected record as one JSON line: {@code source}, {@code line} (from a file),
     * {@code stage}, {@code reason}, and the record as {@code record} (its UTF-8 text) or
     * {@code recordBase64} (when it is not UTF-8 text); a tombstone has neither.
     */
    public void writeJsonLines(Path out) throws IOException {
        AtomicFile.write(out, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Rejection r : all) {
                    w.write(Json.write(toMap(r)));
                    w.write('\n');
                }
            }
        });
    }

    private static Map<String, Object> toMap(Rejection r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", r.source());
        if (r.line() > 0) {
            m.put("line", r.line());
        }
        m.put("stage", r.stage());
        m.put("reason", r.reason());
        if (r.record() != null) {
            try {
                m.put("record", StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(r.record())).toString());
            } catch (CharacterCodingException e) {
                m.put("recordBase64", Base64.getEncoder().encodeToString(r.record()));
            }
        }
        return m;
    }
}
