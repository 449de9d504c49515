package dev.unroll.cli;

import dev.unroll.io.AtomicFile;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;
import dev.unroll.format.PredictionJson;

/**
 * The network's forward pass over each sequence of a file: one prediction JSON line per input
 * line, in order ({@link Prediction}). No Flink, no Kafka: the reference the live job's
 * predictions are checked against.
 */
@Command(name = "predict", description = "Predictions of trained parameters: the output units' states at t = 1..T of each sequence, and its loss when it has targets.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Option(names = "--params", required = true, description = {"the parameters (network.json format, the job's structure);",
            "with per-key models, the per-key file train and replay write: each sequence is predicted by its key's model,",
            "or by the job's network when its key has none"})
    Path params;

    @Option(names = "--data", required = true, description = "sequences, one JSON per line; targets optional")
    Path data;

    @Option(names = "--out", required = true, description = "where to write the predictions, one JSON per line")
    Path out;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network jobNetwork = config.loadNetwork();
        ModelCommands.Predictor predictor = ModelCommands.of(config).predictor(config, jobNetwork, params, data);
        Function<Sequence, Network> modelOf = predictor.modelOf();
        AtomicFile.write(out, tmp -> {
            try (SequenceFile sequences = predictor.sequences();
                 BufferedWriter w = Files.newBufferedWriter(tmp)) {
                for (Sequence seq : sequences) {
                    w.write(PredictionJson.write(Prediction.of(modelOf.apply(seq), seq)));
                    w.write('\n');
                }
            }
        });
        return 0;
    }
}
