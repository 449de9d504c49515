package dev.unroll.cli;

import dev.unroll.format.SequenceFile;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.Serving;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.stream.LoopTrace;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** One model: one line of versions, one parameters file in network.json format. */
final class OneModelCommands implements ModelCommands {
    @Override
    public boolean hasKeys() {
        return false;
    }

    @Override
    public SequenceFile keyed(SequenceFile file) {
        return file;
    }

    @Override
    public int train(TrainCommand command, JobConfig config, Network initial) throws Exception {
        return command.trainOneModel(config, initial, this);
    }

    @Override
    public int evaluate(EvaluateCommand command, JobConfig config, Network initial) {
        return command.scoreOneModel(config, initial);
    }

    @Override
    public Predictor predictor(JobConfig config, Network jobNetwork, Path params, Path data) {
        Network net = JobParameters.read(config, jobNetwork, params);
        return new Predictor(seq -> net, SequenceFile.toPredict(data, net, config.limits()));
    }

    @Override
    public Serving.Parameters fixed(JobConfig config, Network initial, Path params) {
        return new Serving.Parameters.Fixed(JobParameters.read(config, initial, params),
                JobParameters.provenanceVersion(params));
    }

    /** Every version on the progress line, up to the one marked last; then the loop's round-trip trace. */
    @Override
    public Trained awaitTrained(Pipeline pipeline, Progress progress, boolean quiet, Duration stall) throws Exception {
        ParameterVersion last = pipeline.awaitLast(v -> progress.update(v.version, v.sequencesTrained, v.batchLoss), stall);
        // before the job is cancelled: its shutdown is not training time
        progress.done(last.version, last.sequencesTrained, last.batchLoss);
        if (!quiet) {
            LoopTrace.summary(pipeline.accumulators(Duration.ofSeconds(10)))
                    .forEach(line -> System.err.println("replay: " + line));
        }
        return new Newest(last);
    }

    @Override
    public Trained untrained() {
        return new Newest(null);
    }

    /** The newest version's own numbers. */
    @Override
    public Tally tally() {
        return new Tally() {
            @Override
            public void add(ParameterVersion v) {
            }

            @Override
            public String detail() {
                return "";
            }

            @Override
            public long version(ParameterVersion newest) {
                return newest == null ? 0 : newest.version;
            }

            @Override
            public long sequencesTrained(ParameterVersion newest) {
                return newest == null ? 0 : newest.sequencesTrained;
            }
        };
    }

    @Override
    public Trained trained(LiveJob live, ParameterVersion newest) {
        return new Newest(newest);
    }

    /** The model's newest version; null: none, the network it started from. */
    private record Newest(ParameterVersion version) implements Trained {
        @Override
        public long sequencesTrained() {
            return version == null ? 0 : version.sequencesTrained;
        }

        @Override
        public String write(Path out, Network structure, Provenancer provenance) throws IOException {
            Network result = version == null ? structure : structure.withParameters(version.parameters());
            long number = version == null ? 0 : version.version;
            Outputs.writeNetwork(out, result, provenance.of(number, sequencesTrained(), version));
            return "version " + number + " (" + sequencesTrained() + " sequences)";
        }
    }
}
