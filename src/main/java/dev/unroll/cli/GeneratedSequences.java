package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.SequenceFeeder;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.EventAvro;
import dev.unroll.format.SequenceFormat;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.SensorReadings;
import dev.unroll.task.Tasks;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A job's task sequences for a seed as checked JSON lines, or as records in the job's
 * {@code stream.sequenceFormat}: what the trainer reads back must pass its checks (limits
 * included), or it would be dead-lettered and training would stall. With an events input, its
 * sensor readings instead, as JSON lines or records in {@code events.format} (they are checked
 * where they are cut).
 */
final class GeneratedSequences implements Iterator<GeneratedSequences.Line> {
    /**
     * One sequence (null for an event) and its JSON. As a record the Kafka key is {@code key}: the
     * sequence's key when it has one, so a key's sequences share a partition and keep their order,
     * its id otherwise; an event's key.
     */
    record Line(Sequence seq, String key, String json) {
        static Line of(Sequence seq, String json) {
            return new Line(seq, seq.key() != null ? seq.key() : seq.id(), json);
        }
    }

    private final JobConfig config;
    private final Iterator<Line> lines;
    /** with an events input, how a reading's JSON becomes its record; null otherwise */
    private final Function<String, byte[]> events;

    GeneratedSequences(JobConfig config, Network net, long seed) {
        this(config, net, seed, true);
    }

    /** Unchecked ({@code check} false) where the generator is trusted and its cost would be measured (`load`). */
    GeneratedSequences(JobConfig config, Network net, long seed, boolean check) {
        this.config = config;
        this.events = config.hasEvents() ? EventAvro.records(config.events(net)) : null;
        if (config.hasEvents()) {
            SensorReadings readings = SensorReadings.fromJob(config, seed);
            lines = Stream.generate(() -> {
                SensorReadings.Reading r = readings.next();
                return new Line(null, r.key(), r.json());
            }).iterator();
            return;
        }
        Iterator<Sequence> sequences = Tasks.generator(Tasks.fromJob(config, net), seed, Tasks.idPrefix(config, seed));
        lines = Stream.generate(() -> {
            Sequence seq = sequences.next();
            String json = SequenceJson.write(seq);
            if (check) {
                SequenceJson.parse(json, config.file() + ": generated sequence " + seq.id(), net, config.limits());
            }
            return Line.of(seq, json);
        }).iterator();
    }

    @Override
    public boolean hasNext() {
        return lines.hasNext();
    }

    @Override
    public Line next() {
        return lines.next();
    }

    /**
     * The same sequences as records for a topic, in the job's format: stream.sequenceFormat for a
     * sequence, events.format for an event (read once here, not per record: `load` measures this loop).
     */
    Iterator<SequenceFeeder.Record> records() {
        SequenceFormat format = config.get(JobConfig.SEQUENCE_FORMAT);
        return Stream.generate(() -> {
            Line line = next();
            byte[] value = line.seq() == null ? events.apply(line.json())
                    : format == SequenceFormat.JSON ? line.json().getBytes(StandardCharsets.UTF_8) : format.write(line.seq());
            return new SequenceFeeder.Record(line.key() == null ? null : line.key().getBytes(StandardCharsets.UTF_8), value);
        }).iterator();
    }
}
