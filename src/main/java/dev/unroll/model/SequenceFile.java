package dev.unroll.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams a {@code .jsonl} file of sequences, one per line, validating each against the network.
 * A bad line fails with its file and line number; lines are read lazily so a file of any length
 * needs memory for one sequence at a time.
 */
public final class SequenceFile implements Iterable<Sequence>, AutoCloseable {
    private final Path file;
    private final Network net;
    private final Limits limits;
    private final BufferedReader reader;
    private final boolean targetsOptional;

    public SequenceFile(Path file, Network net, Limits limits) {
        this(file, net, limits, false);
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
                String source = file + ":" + at;
                return targetsOptional ? SequenceJson.parseRequest(text, source, net, limits)
                        : SequenceJson.parse(text, source, net, limits);
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
