package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.job.Provenance;
import dev.unroll.model.Network;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.PerKeyTrainer;
import dev.unroll.model.Prequential;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceFile;
import dev.unroll.model.Trainer;
import dev.unroll.report.History;
import dev.unroll.report.Rejections;
import dev.unroll.report.Rejections.Rejection;
import dev.unroll.task.Evaluation;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import dev.unroll.model.KeyedNetwork;

@Command(name = "train", description = "The offline reference trainer: a plain loop over a .jsonl file, no Flink, no Kafka.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--data", required = true, description = "sequences, one JSON per line")
        Path data;

        @Option(names = "--events", required = true, description = "events, one JSON per line, cut into sequences by the"
                + " job's events section as `assemble` does")
        Path events;

        Path file() {
            return data != null ? data : events;
        }
    }

    @Option(names = "--out", required = true, description = "where to write the final network (network.json format); with per-key models, one JSON line per key")
    Path out;

    @Option(names = "--skip-bad", description = "go on past lines that are not valid sequences, and report them at the end"
            + " (default: stop with exit 2 at the first)")
    boolean skipBad;

    @Option(names = "--dead-letters", description = "with --skip-bad: write the skipped lines with their reasons here, as JSON lines")
    Path deadLetters;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Option(names = "--until-right", description = {"held-out sequences: every --check-every versions, score them, and stop",
            "once every one of them is right (prints how many sequences that took)"})
    Path heldOut;

    @Option(names = "--check-every", description = "versions between two scorings with --until-right (default ${DEFAULT-VALUE})")
    int checkEvery = 10;

    @Option(names = "--history", description = {"write one CSV row per version: batch loss, prequential loss and accuracy",
            "(and held-out accuracy where --until-right scored it), for plot --history"})
    Path historyFile;

    @Mixin
    InitOption init = new InitOption();

    /** With --events, the lines that were valid events (-1 with --data, where the valid lines are the sequences). */
    private long validEvents = -1;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network initial = init.start(config, config.loadNetwork());
        if (deadLetters != null && !skipBad) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--dead-letters needs --skip-bad (without it the first bad line stops the run)");
        }
        return ModelCommands.of(config).train(this, config, initial);
    }

    /** One model: its versions on the progress line, scored with --until-right, in the --history. */
    int trainOneModel(JobConfig config, Network initial, ModelCommands commands) throws Exception {
        Trainer trainer = config.trainer(initial);
        Progress progress = new Progress("train", quiet);
        Rejections rejected = new Rejections();
        long[] valid = {0};
        List<Sequence> held = heldOut == null ? null : SequenceFile.readAll(heldOut, initial, config.limits());
        long[] rightAt = {-1};
        History history = new History();
        Consumer<Sequence> train = seq -> {
            if (rightAt[0] >= 0) {
                return;
            }
            valid[0]++;
            long before = trainer.version();
            trainer.add(seq);
            progress.update(trainer.version(), trainer.sequencesTrained(), trainer.lastBatchLoss());
            if (trainer.version() == before) {
                return;
            }
            double accuracy = Double.NaN;
            if (held != null && trainer.version() % checkEvery == 0) {
                Evaluation.Summary scored = Evaluation.of(trainer.network(), held, 0);
                accuracy = scored.fractionSequencesAllRight();
                if (scored.sequencesAllRight() == held.size()) {
                    rightAt[0] = trainer.sequencesTrained();
                }
            }
            history.add(row(trainer, accuracy));
        };
        readInput(config, initial, commands, train, rejected);
        long before = trainer.version();
        Network result = rightAt[0] >= 0 ? trainer.network() : trainer.finish();
        if (trainer.version() != before) {
            history.add(row(trainer, Double.NaN));
        }
        if (historyFile != null) {
            history.write(historyFile);
        }
        if (held != null) {
            System.err.println(rightAt[0] >= 0
                    ? "train: all " + held.size() + " held-out sequences right after " + rightAt[0] + " sequences (version "
                            + trainer.version() + ")"
                    : String.format(java.util.Locale.ROOT, "train: not every held-out sequence right after all %d sequences"
                            + " (%.1f%% right)", trainer.sequencesTrained(),
                            100 * Evaluation.of(result, held, 0).fractionSequencesAllRight()));
        }
        progress.done(trainer.version(), trainer.sequencesTrained(), trainer.lastBatchLoss());
        if (!reportRejections(rejected, valid[0])) {
            return Main.BAD_INPUT;
        }
        if (!trainer.leftOut().isEmpty()) {
            System.err.println("train: left out " + trainer.leftOut().size() + " sequences whose gradient was not finite"
                    + (input.events != null ? " (sequences " + trainer.leftOut().stream().limit(10).map(k -> k + 1).toList()
                    : " (lines " + trainer.leftOut().stream().limit(10).map(k -> Long.toString(line(k, rejected))).toList())
                    + ")");
        }
        Outputs.writeNetwork(out, result, init.provenance(config, "train", trainer.version(), trainer.sequencesTrained(),
                Provenance.file(input.file())));
        return 0;
    }

    /** The newest version's row of the history: its batch loss and prequential figures. */
    private static History.Point row(Trainer trainer, double heldOutAccuracy) {
        Prequential.Figures f = trainer.figures();
        return new History.Point(trainer.version(), trainer.sequencesTrained(), f.batchLoss(), heldOutAccuracy, Double.NaN,
                f.windowLoss(), f.windowAccuracy());
    }

    /** {@code training.models: per-key}: each key trains its own model on its own sequences; one line per key out. */
    int trainPerKey(JobConfig config, Network initial, ModelCommands commands) throws Exception {
        if (heldOut != null || historyFile != null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), (heldOut != null
                    ? "--until-right scores" : "--history follows") + " one model; with training.models: per-key there"
                    + " is one per key");
        }
        PerKeyTrainer trainer = new PerKeyTrainer(() -> config.trainer(initial));
        Rejections rejected = new Rejections();
        long[] valid = {0};
        readInput(config, initial, commands, seq -> {
            valid[0]++;
            trainer.add(seq);
        }, rejected);
        List<KeyedNetwork> models = trainer.finish();
        if (!quiet) {
            System.err.println("train: " + models.size() + " keys, " + trainer.sequencesTrained() + " sequences trained");
        }
        if (!reportRejections(rejected, valid[0])) {
            return Main.BAD_INPUT;
        }
        if (trainer.leftOut() > 0) {
            System.err.println("train: left out " + trainer.leftOut() + " sequences whose gradient was not finite");
        }
        Outputs.writeKeyed(out, models);
        return 0;
    }

    /**
     * Every sequence of the input to {@code train}, in order: the lines of --data, or what the job's
     * events input cuts from --events. A bad line stops the run, or with --skip-bad goes to {@code rejected}.
     */
    private void readInput(JobConfig config, Network initial, ModelCommands commands, Consumer<Sequence> train,
                           Rejections rejected) {
        if (input.events != null) {
            EventSequences cut = EventSequences.cut(input.events, AssembleCommand.requireEvents(config, initial), skipBad);
            if (!quiet) {
                cut.report("train");
            }
            cut.rejected.all().forEach(rejected::add);
            validEvents = cut.events;
            cut.cuts.forEach(c -> train.accept(c.sequence()));
            return;
        }
        try (SequenceFile sequences = new SequenceFile(input.data, initial, config.limits())) {
            read(commands.keyed(sequences), train, rejected);
        }
    }

    /** Every line to {@code train}; a bad one stops the run, or with --skip-bad goes to {@code rejected}. */
    private void read(SequenceFile sequences, Consumer<Sequence> train, Rejections rejected) {
        if (skipBad) {
            sequences.forEach(train, bad -> rejected.add(new Rejection(bad.error().source(), bad.number(), "decode",
                    Rejections.withoutPrefix(bad.error().getMessage(), bad.error().source()),
                    bad.text().getBytes(StandardCharsets.UTF_8))));
        } else {
            sequences.forEach(train);
        }
    }

    /** Says what was skipped (and writes it with --dead-letters); false when no line was valid. */
    private boolean reportRejections(Rejections rejected, long validSequences) throws java.io.IOException {
        long valid = validEvents >= 0 ? validEvents : validSequences;
        rejected.summary("train", valid + rejected.size()).forEach(System.err::println);
        if (deadLetters != null) {
            rejected.writeJsonLines(deadLetters);
        }
        if (rejected.size() > 0 && valid == 0) {
            System.err.println("train: no line of " + input.file() + " is a valid " + (input.events != null ? "event" : "sequence")
                    + "; nothing written to " + out);
            return false;
        }
        return true;
    }

    /** The line number of the k-th valid sequence (from 0), counting the skipped lines before it. */
    private static long line(long k, Rejections skipped) {
        long line = k + 1;
        for (Rejection r : skipped.all()) {
            if (r.line() <= line) {
                line++;
            }
        }
        return line;
    }
}
