package dev.unroll.stream;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * A failure the recovery tests put around the job graph rather than into it: a sink or a
 * source that throws once, the first time a given record passes. "Once" is a marker file, so it
 * holds across the restart that re-creates the sink or source. A sink chained to the aggregator
 * (or to the per-key trainer) fails that operator's task; a source fails while the job reads.
 */
final class FailOnce {
    /** Thrown in place of a real crash. */
    static final class Crash extends RuntimeException {
        Crash(String message) {
            super(message);
        }
    }

    /** A record to fail at, serializable as everything in a job graph must be. */
    interface When<T> extends Predicate<T>, Serializable {
    }

    private FailOnce() {
    }

    /** {@code inner}, failing the first time it is to write a record {@code when} accepts. */
    static <T> Sink<T> sink(Sink<T> inner, When<T> when, Path marker) {
        String at = marker.toString();
        return (Sink<T>) context -> {
            SinkWriter<T> writer = inner.createWriter(context);
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context c) throws IOException, InterruptedException {
                    if (when.test(element)) {
                        crash(at, "the sink, at " + element);
                    }
                    writer.write(element, c);
                }

                @Override
                public void flush(boolean endOfInput) throws IOException, InterruptedException {
                    writer.flush(endOfInput);
                }

                @Override
                public void close() throws Exception {
                    writer.close();
                }
            };
        };
    }

    /** {@code inner}, failing the first time it is asked for record {@code index}. */
    static <T> GeneratorFunction<Long, T> source(GeneratorFunction<Long, T> inner, long index, Path marker) {
        String at = marker.toString();
        return k -> {
            if (k == index) {
                crash(at, "the source, at record " + k);
            }
            return inner.map(k);
        };
    }

    private static void crash(String marker, String where) {
        try {
            Files.createFile(Path.of(marker));
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new Crash("injected failure in " + where);
    }
}
