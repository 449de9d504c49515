package dev.unroll.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import dev.unroll.model.Sequence;
import dev.unroll.model.Network;
import dev.unroll.model.ModelException;
import dev.unroll.model.Limits;

/**
 * Streams a {@code .jsonl} file of sequences, one per line, validating each against the network.
 * A bad line fails with its file and line number (or, through {@link #forEach(Consumer, Consumer)},
 * is handed over and skipped); lines are read lazily so a file of any length needs memory for one
 * sequence at a time.
 */
public final class SequenceFile implements Iterable<Sequence>, AutoCloseable {
    private final Path file;
    private final Network net;
    private final Limits limits;
    private final BufferedReader reader;
    private final boolean targetsOptional;
    private boolean keysRequired;

    public SequenceFile(Path file, Network net, Limits limits) {
        this(file, net, limits, false);
    }

    /** With per-key models: a line without a {@code key} is a bad line, as a record without one is dead-lettered. */
    public SequenceFile requireKeys() {
        keysRequired = true;
        return this;
    }

    /** The sequences of a file to predict: targets may be left out ({@link SequenceJson#parseRequest}). */
    public static SequenceFile toPredict(Path file, Network net, Limits limits) {
        return new SequenceFile(file, net, limits, true);
    }

    private SequenceFile(Path file, Network net, Limits limits, boolean targetsOptional) {
        this.targetsOptional = targetsOptional;
        this.file = file;
        this.net = net;
        this.limits = limits;
        try {
            this.reader = Files.newBufferedReader(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "", "no such file");
        } catch (IOException e) {
            throw new ModelException(file.toString(), "", "cannot read: " + e.getMessage());
        }
    }

    /** A line that is not a valid sequence: its number (from 1), its text and what is wrong with it. */
    public record BadLine(long number, String text, ModelException error) {
    }

    /** Reads every line, handing valid sequences to {@code good} and the others to {@code bad}. */
    public void forEach(Consumer<Sequence> good, Consumer<BadLine> bad) {
        long number = 0;
        for (String text = readLine(); text != null; text = readLine()) {
            number++;
            Sequence seq;
            try {
                seq = parse(text, number);
            } catch (ModelException e) {
                bad.accept(new BadLine(number, text, e));
                continue;
            }
            good.accept(seq);
        }
    }

    /** Every sequence of {@code file}, in order; the first bad line is an error naming it. */
    public static List<Sequence> readAll(Path file, Network net, Limits limits) {
        List<Sequence> all = new ArrayList<>();
        try (SequenceFile sequences = new SequenceFile(file, net, limits)) {
            sequences.forEach(all::add);
        }
        return all;
    }

    private Sequence parse(String text, long line) {
        String source = file + ":" + line;
        Sequence seq = targetsOptional ? SequenceJson.parseRequest(text, source, net, limits)
                : SequenceJson.parse(text, source, net, limits);
        if (keysRequired && seq.key() == null) {
            throw new ModelException(source, "key", SequenceJson.NO_KEY);
        }
        return seq;
    }

    @Override
    public Iterator<Sequence> iterator() {
        return new Iterator<>() {
            private String next = readLine();
            private int line = 1;

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Sequence next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                String text = next;
                int at = line++;
                next = readLine();
                return parse(text, at);
            }
        };
    }

    private String readLine() {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
