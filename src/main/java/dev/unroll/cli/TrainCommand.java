package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.NetworkJson;
import dev.unroll.model.Sequence;
import dev.unroll.model.SequenceFile;
import dev.unroll.model.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "train", description = "The offline reference trainer: a plain loop over a .jsonl file, no Flink, no Kafka.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Option(names = "--data", required = true, description = "sequences, one JSON per line")
    Path data;

    @Option(names = "--out", required = true, description = "where to write the final network (network.json format)")
    Path out;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Mixin
    InitOption init = new InitOption();

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network initial = init.start(config, config.loadNetwork());
        Trainer trainer = config.trainer(initial);
        Progress progress = new Progress("train", quiet);
        try (SequenceFile sequences = new SequenceFile(data, initial, config.limits())) {
            for (Sequence seq : sequences) {
                trainer.add(seq);
                progress.update(trainer.version(), trainer.sequencesTrained(), trainer.lastBatchLoss());
            }
        }
        Network result = trainer.finish();
        progress.done(trainer.version(), trainer.sequencesTrained(), trainer.lastBatchLoss());
        if (!trainer.leftOut().isEmpty()) {
            System.err.println("train: left out " + trainer.leftOut().size() + " sequences whose gradient was not finite"
                    + " (lines " + trainer.leftOut().stream().limit(10).map(k -> Long.toString(k + 1)).toList() + ")");
        }
        Outputs.writeNetwork(out, result, init.provenance(config, "train", trainer.version(), trainer.sequencesTrained()));
        return 0;
    }
}
