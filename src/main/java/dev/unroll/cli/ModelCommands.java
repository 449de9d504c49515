package dev.unroll.cli;

import dev.unroll.format.SequenceFile;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.Serving;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.record.ParameterVersion;
import dev.unroll.stream.ModelLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * What the commands do differently with one model ({@link OneModelCommands}) and with a model per key
 * ({@link PerKeyCommands}): the commands' side of the {@link ModelLayout} the job's file chooses. A
 * command asks these rather than the setting, so that each mode's part of it stays in one class.
 */
sealed interface ModelCommands permits OneModelCommands, PerKeyCommands {
    static ModelCommands of(JobConfig config) {
        return ModelLayout.of(config).choose(OneModelCommands::new, PerKeyCommands::new);
    }

    /**
     * Whether each key has a model of its own: the options that name a key or a per-key file apply,
     * and those that start or follow one model's line of versions do not.
     */
    boolean hasKeys();

    /** A file's sequences as these models take them: per key, each must name its key. */
    SequenceFile keyed(SequenceFile file);

    /** {@code train}: the plain loop over the input, and its result written. */
    int train(TrainCommand command, JobConfig config, Network initial) throws Exception;

    /** {@code evaluate}: the parameters scored on the sequences. */
    int evaluate(EvaluateCommand command, JobConfig config, Network initial);

    /** {@code predict}: the parameters of {@code params}, and the sequences of {@code data} to predict with them. */
    Predictor predictor(JobConfig config, Network jobNetwork, Path params, Path data);

    /** {@code serve --params}: the fixed parameters of {@code params}. */
    Serving.Parameters fixed(JobConfig config, Network initial, Path params);

    /**
     * {@code replay}: follows the bounded job to its end, reporting as it goes (one model) or once at
     * the end (per key), and returns what it trained.
     */
    Trained awaitTrained(Pipeline pipeline, Progress progress, boolean quiet, Duration stall) throws Exception;

    /** What an input without records trains: nothing, the job's network. */
    Trained untrained();

    /** {@code run}: its versions, counted for the progress line. */
    Tally tally();

    /** {@code run --out}: what the live job has trained, {@code newest} the newest version it followed. */
    Trained trained(LiveJob live, ParameterVersion newest);

    /** The model that predicts each sequence, and the sequences. */
    record Predictor(Function<Sequence, Network> modelOf, SequenceFile sequences) {
    }

    /** What a job trained: one model's newest version, or every key's. */
    interface Trained {
        long sequencesTrained();

        /**
         * Writes it to {@code out}, as parameters of {@code structure}, and says what it wrote
         * ("version 3 (120 sequences)").
         */
        String write(Path out, Network structure, Provenancer provenance) throws IOException;
    }

    /** The provenance of one model's parameters file, {@code newest} (null: none) naming what it was trained on. */
    @FunctionalInterface
    interface Provenancer {
        Map<String, Object> of(long version, long sequencesTrained, ParameterVersion newest);
    }

    /** A live job's versions as the progress line counts them. */
    interface Tally {
        /** Each version as it arrives. */
        void add(ParameterVersion v);

        /** What the line says before the dead letters ("12 keys, "), or nothing. */
        String detail();

        long version(ParameterVersion newest);

        long sequencesTrained(ParameterVersion newest);
    }
}
