package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.SequenceFeeder;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceFormat;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.Tasks;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * A job's task sequences for a seed as checked JSON lines, or as records in the job's
 * {@code stream.sequenceFormat}: what the trainer reads back must pass its checks (limits
 * included), or it would be dead-lettered and training would stall.
 */
final class GeneratedSequences implements Iterator<GeneratedSequences.Line> {
    /**
     * One sequence and its JSON. As a record the Kafka key is the sequence's key when it has one,
     * so a key's sequences share a partition and keep their order; its id otherwise.
     */
    record Line(Sequence seq, String json) {
        SequenceFeeder.Record record(SequenceFormat format) {
            String recordKey = seq.key() != null ? seq.key() : seq.id();
            return new SequenceFeeder.Record(recordKey == null ? null : recordKey.getBytes(StandardCharsets.UTF_8),
                    format == SequenceFormat.JSON ? json.getBytes(StandardCharsets.UTF_8) : format.write(seq));
        }
    }

    private final JobConfig config;
    private final Network net;
    private final Iterator<Sequence> sequences;
    private final boolean check;

    GeneratedSequences(JobConfig config, Network net, long seed) {
        this(config, net, seed, true);
    }

    /** Unchecked ({@code check} false) where the generator is trusted and its cost would be measured (`load`). */
    GeneratedSequences(JobConfig config, Network net, long seed, boolean check) {
        this.config = config;
        this.net = net;
        this.sequences = Tasks.generator(Tasks.fromJob(config, net), seed, Tasks.idPrefix(config, seed));
        this.check = check;
    }

    @Override
    public boolean hasNext() {
        return sequences.hasNext();
    }

    @Override
    public Line next() {
        Sequence seq = sequences.next();
        String json = SequenceJson.write(seq);
        if (check) {
            SequenceJson.parse(json, config.file() + ": generated sequence " + seq.id(), net, config.limits());
        }
        return new Line(seq, json);
    }

    /** The same sequences as records for a topic, in the job's {@code stream.sequenceFormat}. */
    Iterator<SequenceFeeder.Record> records() {
        Iterator<Line> lines = this;
        SequenceFormat format = config.get(JobConfig.SEQUENCE_FORMAT);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return lines.hasNext();
            }

            @Override
            public SequenceFeeder.Record next() {
                return lines.next().record(format);
            }
        };
    }
}
