package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.SequenceFeeder;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.SensorReadings;
import dev.unroll.task.Tasks;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * A job's task sequences (or, with an events input, its sensor readings) for a seed as JSON lines: what the trainer reads back must pass
 * its checks (limits included), or it would be dead-lettered and training would stall.
 */
final class GeneratedSequences implements Iterator<GeneratedSequences.Line> {
    /**
     * One sequence: its id, its per-key model's key (null for none) and its JSON. The Kafka record
     * key is the sequence's key when it has one, so a key's sequences share a partition and keep
     * their order; its id otherwise.
     */
    record Line(String id, String key, String json) {
        SequenceFeeder.Record record() {
            String recordKey = key != null ? key : id;
            return new SequenceFeeder.Record(recordKey == null ? null : recordKey.getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final Iterator<Line> lines;

    GeneratedSequences(JobConfig config, Network net, long seed) {
        this(config, net, seed, true);
    }

    /**
     * The job's task sequences, checked against the network unless {@code check} is false (where the
     * generator is trusted and its cost would be measured, in `load`); with an events input, its sensor
     * readings instead (they are checked where they are cut).
     */
    GeneratedSequences(JobConfig config, Network net, long seed, boolean check) {
        if (config.hasEvents()) {
            SensorReadings readings = SensorReadings.fromJob(config, seed);
            lines = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return true;
                }

                @Override
                public Line next() {
                    SensorReadings.Reading r = readings.next();
                    return new Line(null, r.key(), r.json());
                }
            };
            return;
        }
        Iterator<Sequence> sequences = Tasks.generator(Tasks.fromJob(config, net), seed, Tasks.idPrefix(config, seed));
        lines = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Line next() {
                Sequence seq = sequences.next();
                String json = SequenceJson.write(seq);
                if (check) {
                    SequenceJson.parse(json, config.file() + ": generated sequence " + seq.id(), net, config.limits());
                }
                return new Line(seq.id(), seq.key(), json);
            }
        };
    }

    @Override
    public boolean hasNext() {
        return lines.hasNext();
    }

    @Override
    public Line next() {
        return lines.next();
    }

    /** The same sequences as records for a topic. */
    Iterator<SequenceFeeder.Record> records() {
        Iterator<Line> lines = this;
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return lines.hasNext();
            }

            @Override
            public SequenceFeeder.Record next() {
                return lines.next().record();
            }
        };
    }
}
