package dev.unroll.cli;

import dev.unroll.format.SequenceFile;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.Serving;
import dev.unroll.model.Network;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * A model per key ({@code training.models: per-key}): every sequence names its key, each key has
 * its own versions, and the parameters file holds one line per key; a key without a model is
 * answered by the job's network.
 */
final class PerKeyCommands implements ModelCommands {
    @Override
    public boolean hasKeys() {
        return true;
    }

    @Override
    public SequenceFile keyed(SequenceFile file) {
        return file.requireKeys();
    }

    @Override
    public int train(TrainCommand command, JobConfig config, Network initial) throws Exception {
        return command.trainPerKey(config, initial, this);
    }

    @Override
    public int evaluate(EvaluateCommand command, JobConfig config, Network initial) {
        return command.scorePerKey(config, initial);
    }

    @Override
    public Predictor predictor(JobConfig config, Network jobNetwork, Path params, Path data) {
        Map<String, Network> models = JobParameters.readKeyed(config, jobNetwork, params);
        return new Predictor(seq -> models.getOrDefault(seq.key(), jobNetwork),
                keyed(SequenceFile.toPredict(data, jobNetwork, config.limits())));
    }

    @Override
    public Serving.Parameters fixed(JobConfig config, Network initial, Path params) {
        return new Serving.Parameters.FixedPerKey(JobParameters.readKeyedEntries(config, initial, params));
    }

    /**
     * Every key's newest version, once the job has ended and the topic holds nothing more (each key
     * ends on its own), then one line: keys, sequences and the rate.
     */
    @Override
    public Trained awaitTrained(Pipeline pipeline, Progress progress, boolean quiet, Duration stall) throws Exception {
        long submitted = System.nanoTime();
        KeyedRate rate = new KeyedRate();
        NewestPerKey keyed = pipeline.awaitEnd(v -> rate.add(System.nanoTime(), v.batchSize), stall);
        long trained = keyed.sequencesTrained();
        if (!quiet) {
            double all = (rate.lastSeen() - submitted) / 1e9;
            double between = rate.seconds();
            System.err.printf(Locale.ROOT, "replay: %d keys, %d sequences trained; %.1f s from submission"
                            + " to the last version, %.1f s from the first version to the last (%.0f sequences/s;"
                            + " %.0f sequences/s over the second half of the versions)%n",
                    keyed.keys(), trained, all, between, between > 0 ? trained / between : 0.0, rate.secondHalf());
        }
        return new EveryKey(keyed);
    }

    @Override
    public Trained untrained() {
        return new EveryKey(new NewestPerKey());
    }

    /** The versions are every key's updates, the sequences those of all keys. */
    @Override
    public Tally tally() {
        return new Tally() {
            private final NewestPerKey keys = new NewestPerKey();
            private long updates;

            @Override
            public void add(ParameterVersion v) {
                keys.add(v);
                updates++;
            }

            @Override
            public String detail() {
                return keys.keys() + " keys, ";
            }

            @Override
            public long version(ParameterVersion newest) {
                return updates;
            }

            @Override
            public long sequencesTrained(ParameterVersion newest) {
                return keys.sequencesTrained();
            }
        };
    }

    /** Every key's newest version on the compacted parameters topic, earlier runs' keys too. */
    @Override
    public Trained trained(LiveJob live, ParameterVersion newest) {
        return new EveryKey(live.everyKey());
    }

    /** Each key's newest version, written as the per-key file. */
    private record EveryKey(NewestPerKey models) implements Trained {
        @Override
        public long sequencesTrained() {
            return models.sequencesTrained();
        }

        @Override
        public String write(Path out, Network structure, Provenancer provenance) throws IOException {
            Outputs.writeKeyed(out, models.entries(structure));
            return models.keys() + " keys' models (" + models.sequencesTrained() + " sequences)";
        }
    }
}
