package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;
import dev.unroll.job.Provenance;
import dev.unroll.format.EventFile;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.Replay;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.report.Rejections;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "replay", description = {
        "Runs the streaming pipeline (the same Flink operators, on a local MiniCluster, with the parameter feedback",
        "through Kafka) over a recorded file or what a topic holds now, and writes the final parameters."})
final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--data", required = true, description = "a recorded .jsonl file, replayed through an embedded broker")
        Path data;

        @Option(names = "--events", required = true, description = "a recorded .jsonl file of events, replayed through an"
                + " embedded broker and cut into sequences by the job's events section")
        Path events;

        @ArgGroup(exclusive = false)
        TopicInput topic;
    }

    static final class TopicInput {
        @Option(names = "--bootstrap-servers", required = true, description = "the broker holding the topic")
        String bootstrap;

        @Option(names = "--topic", required = true, description = "the topic to replay, from its beginning to its end at start time")
        String topic;

        @Option(names = "--from-offsets", split = ",", description = "PARTITION=OFFSET starting points, comma-separated (default: the beginning)")
        Map<Integer, Long> fromOffsets = new HashMap<>();
    }

    @Option(names = "--out", required = true, description = "where to write the final network (network.json format); with per-key models, one JSON line per key")
    Path out;

    @Option(names = "--dead-letters", description = "write the rejected records here with their reasons, as JSON lines")
    Path deadLetters;

    @Option(names = "--parallelism", description = "parallelism of the BPTT operator (default: the job's stream.parallelism)")
    Integer parallelism;

    @Option(names = "--stall-seconds", description = "give up when no version arrives for this long (default ${DEFAULT-VALUE})")
    int stallSeconds = 300;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Mixin
    InitOption init = new InitOption();

    @Option(names = "--checkpoint-ms", description = "take checkpoints this often while replaying (to measure them;"
            + " default: none, a replay starts over)")
    long checkpointMs;

    /**
     * With events, how many dead letters the input must produce (its lines that are not events);
     * null for sequences, where every record is either trained or dead-lettered.
     */
    private Long knownDeadLetters;

    /** How long to wait for the dead letters the input must have produced to be readable. */
    private static final Duration DEAD_LETTER_WAIT = Duration.ofSeconds(10);

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network initial = init.start(config, config.loadNetwork());
        TrainingSpec spec = TrainingSpec.forJob(config, initial, parallelism);
        ModelCommands models = ModelCommands.of(config);
        Path file = input.data != null ? input.data : input.events;
        if (input.events != null) {
            AssembleCommand.requireEvents(config, initial);
            // how many records the events input will dead-letter at least: the lines that are not events
            long[] bad = {0};
            EventFile.forEach(input.events, spec.events().fields(), e -> { }, line -> bad[0]++);
            knownDeadLetters = bad[0];
        } else if (input.data != null && config.hasEvents()) {
            throw new JobException(config.file().toString(), "events", "this job reads events: replay them with --events");
        }
        if (file != null && !Files.isReadable(file)) {
            throw new ModelException(file.toString(), "", "no such file");
        }
        try (Replay replay = file != null ? Replay.ofFile(config, spec, initial, file)
                : Replay.ofTopic(config, input.topic.bootstrap, input.topic.topic, input.topic.fromOffsets)) {
            if (file == null && !quiet) {
                System.err.println("replay: parameters go to " + replay.topics().parameters() + ", dead letters to "
                        + replay.topics().deadLetters());
            }
            if (file != null && replay.records() == 0) {
                if (deadLetters != null) {
                    new Rejections().writeJsonLines(deadLetters);
                }
                models.untrained().write(out, initial, provenance(config));
                return 0;
            }
            return replay(config, spec, models, replay, initial, file);
        }
    }

    /**
     * Runs the job to its last version, then reports the records it dead-lettered: {@code records}
     * went in, so the dead-letter topic ends up with {@code records - sequencesTrained} of them.
     *
     * @param file the input file (its records' offsets are its line numbers less one), or null for a topic
     */
    private int replay(JobConfig config, TrainingSpec spec, ModelCommands models, Replay replay, Network initial, Path file)
            throws Exception {
        long records = replay.records();
        Progress progress = new Progress("replay", quiet);
        ModelCommands.Trained result;
        long trained;
        Rejections rejected;
        LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
        try (Pipeline pipeline = replay.start(spec, config, monitoring, checkpointMs)) {
            if (!quiet) {
                monitoring.describe().forEach(line -> System.err.println("replay: " + line));
            }
            result = models.awaitTrained(pipeline, progress, quiet, Duration.ofSeconds(stallSeconds));
            trained = result.sequencesTrained();
            // while the job runs: its at-least-once sink may still be delivering the last of them
            rejected = Rejections.fromDeadLetters(replay.deadLetters(
                    knownDeadLetters != null ? knownDeadLetters : records - trained, DEAD_LETTER_WAIT), file, replay.lineOf());
        }
        rejected.summary("replay", records).forEach(System.err::println);
        if (rejected.size() == 0 && !quiet) {
            System.err.println("replay: no record rejected (of " + records + ")");
        }
        long unaccounted = records - trained - rejected.size();
        if (unaccounted > 0 && knownDeadLetters == null) {
            System.err.println("replay: " + unaccounted + " of the " + records + " records are neither trained nor among the"
                    + " dead letters read within " + DEAD_LETTER_WAIT.toSeconds() + " s");
        }
        if (deadLetters != null) {
            rejected.writeJsonLines(deadLetters);
        }
        if (trained == 0 && rejected.size() > 0) {
            System.err.println("replay: no record was a valid sequence; nothing written to " + out);
            return Main.BAD_INPUT;
        }
        result.write(out, initial, provenance(config));
        return 0;
    }

    /** One model's provenance: the replay, the version and where its sequences came from. */
    private ModelCommands.Provenancer provenance(JobConfig config) {
        return (version, trained, newest) -> init.provenance(config, "replay", version, trained, source(newest));
    }

    /** The data file with its SHA-256, or the replayed topic's offset ranges. */
    private Map<String, Object> source(ParameterVersion last) {
        if (input.data != null || input.events != null) {
            return Provenance.file(input.data != null ? input.data : input.events);
        }
        return Provenance.topic(last == null ? null : last.sourceText());
    }
}
