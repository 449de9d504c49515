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

    public SequenceFile(Path file, Network net, Limits limits) {
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
                return SequenceJson.parse(text, file + ":" + at, net, limits);
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
