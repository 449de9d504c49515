package dev.unroll.cli;

import dev.unroll.events.Assembler;
import dev.unroll.events.Cut;
import dev.unroll.events.EventInput;
import dev.unroll.format.EventFile;
import dev.unroll.report.Rejections;
import dev.unroll.report.Rejections.Rejection;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The sequences a job's events input cuts from a file of events (the offline rule, see
 * {@link Assembler}), for {@code assemble} and {@code train --events}: strict about bad lines
 * unless told to skip them, as {@code train} is with sequences.
 */
final class EventSequences {
    final List<Cut> cuts;
    final Rejections rejected;
    final long events;
    final long late;
    final long dropped;

    private EventSequences(List<Cut> cuts, Rejections rejected, long events, long late, long dropped) {
        this.cuts = cuts;
        this.rejected = rejected;
        this.events = events;
        this.late = late;
        this.dropped = dropped;
    }

    /**
     * @param skipBad false: the first line that is not a valid event is an error (exit 2) naming it
     */
    static EventSequences cut(Path file, EventInput input, boolean skipBad) {
        Assembler assembler = input.assembler();
        Rejections rejected = new Rejections();
        long[] events = {0};
        EventFile.forEach(file, input.fields(), e -> {
            events[0]++;
            assembler.add(e);
        }, bad -> {
            if (!skipBad) {
                throw bad.error();
            }
            rejected.add(new Rejection(bad.error().source(), bad.number(), "events",
                    Rejections.withoutPrefix(bad.error().getMessage(), bad.error().source()),
                    bad.text().getBytes(StandardCharsets.UTF_8)));
        });
        List<Cut> cuts = assembler.finish();
        return new EventSequences(cuts, rejected, events[0], assembler.late(), assembler.dropped());
    }

    /** What was cut and what was left out as late or short, for stderr (the bad lines are in {@link #rejected}). */
    void report(String command) {
        System.err.println(command + ": " + events + " events, " + cuts.size() + " sequences"
                + (late > 0 ? "; " + late + " events later than events.maxOutOfOrdernessMs left out" : "")
                + (dropped > 0 ? "; " + dropped + " session parts shorter than events.window.minSteps dropped" : ""));
    }
}
