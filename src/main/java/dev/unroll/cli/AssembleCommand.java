package dev.unroll.cli;

import dev.unroll.events.Cut;
import dev.unroll.events.EventInput;
import dev.unroll.format.SequenceJson;
import dev.unroll.io.AtomicFile;
import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "assemble", description = {
        "Cuts a file of keyed events into the sequences the job's events input trains, in the order it trains them",
        "(one JSON sequence per line, with its key): the offline rule of the stream's windows."})
final class AssembleCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML), with an events section")
    Path job;

    @Option(names = "--events", required = true, description = "events, one JSON object per line, in the order they arrive")
    Path events;

    @Option(names = "--out", required = true, description = "where to write the sequences (.jsonl)")
    Path out;

    @Option(names = "--skip-bad", description = "go on past lines that are not valid events, and report them at the end"
            + " (default: stop with exit 2 at the first)")
    boolean skipBad;

    @Option(names = "--quiet", description = "no summary on stderr")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        EventInput input = requireEvents(config, config.loadNetwork());
        EventSequences cut = EventSequences.cut(events, input, skipBad);
        AtomicFile.write(out, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
                for (Cut c : cut.cuts) {
                    w.write(SequenceJson.write(c.sequence()));
                    w.newLine();
                }
            }
        });
        if (!quiet) {
            cut.report("assemble");
        }
        cut.rejected.summary("assemble", cut.events + cut.rejected.size()).forEach(System.err::println);
        return 0;
    }

    /** The job's events input, checked against its network; an error when the job reads sequences. */
    static EventInput requireEvents(JobConfig config, dev.unroll.model.Network network) {
        if (!config.hasEvents()) {
            throw new JobException(config.file().toString(), "events", "missing: --events needs a job with an events"
                    + " section (see docs/events.md)");
        }
        return config.events(network);
    }
}
