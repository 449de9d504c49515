package dev.unroll.format;

import dev.unroll.events.Event;
import dev.unroll.events.EventFields;
import dev.unroll.model.ModelException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Reads a {@code .jsonl} file of events, one per line, in file order: each line is read as
 * {@link EventJson} does with a Kafka record, as if the file were one partition (the offset of an
 * event is its line number less one).
 */
public final class EventFile {
    private EventFile() {
    }

    /** Hands every valid event to {@code good} and every other line to {@code bad}, in file order. */
    public static void forEach(Path file, EventFields fields, Consumer<Event> good,
                               Consumer<SequenceFile.BadLine> bad) {
        try (BufferedReader reader = Files.newBufferedReader(file)) {
            long number = 0;
            for (String text = reader.readLine(); text != null; text = reader.readLine()) {
                number++;
                Event event;
                try {
                    event = EventJson.parse(text, file + ":" + number, fields, 0, number - 1);
                } catch (ModelException e) {
                    bad.accept(new SequenceFile.BadLine(number, text, e));
                    continue;
                }
                good.accept(event);
            }
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "", "no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
