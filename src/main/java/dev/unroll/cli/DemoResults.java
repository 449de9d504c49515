package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.job.Provenance;
import dev.unroll.model.Network;
import dev.unroll.model.Optimizer;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.report.History;
import dev.unroll.report.TrainingChart;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** What `demo` writes: parameters.json with its provenance, history.csv, training.png and the last word. */
record DemoResults(JobConfig config, TrainingSpec spec, long seed, long heldOutSeed, Path dir) {
    /** How the run ended; the exit code follows from it. */
    enum End {
        REACHED(0), SEQUENCE_BUDGET(1), TIME_BUDGET(1), INTERRUPTED(130);

        final int exitCode;

        End(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    /** How a demo's training loop ended: the version whose parameters are kept, and its score. */
    record Run(End end, History history, ParameterVersion kept, double accuracy, double trainingSeconds) {
    }

    void write(Run run, Network initial, int heldOutCount, long maxSequences, double maxMinutes, long began)
            throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ParameterVersion v = run.kept();
        long version = v == null ? 0 : v.version;
        long trained = v == null ? 0 : v.sequencesTrained;
        Network result = v == null ? initial : initial.withParameters(v.parameters());
        Map<String, Object> provenance = Outputs.provenance(config, "demo", version, trained,
                Provenance.topic(v == null ? null : v.sourceText()));
        provenance.put("seed", seed);
        provenance.put("heldOutSeed", heldOutSeed);
        provenance.put("heldOutSequences", heldOutCount);
        provenance.put("heldOutAccuracy", run.accuracy());
        Path params = dir.resolve("parameters.json");
        Path csv = dir.resolve("history.csv");
        Path png = dir.resolve("training.png");
        Outputs.writeNetwork(params, result, provenance);
        run.history().write(csv);
        out.println("demo: parameters " + params);
        out.println("demo: history    " + csv);
        String title = PlotCommand.headline(config.name(), run.history());
        String subtitle = String.format(Locale.ROOT,
                "streamed through Kafka and Flink: batch %d, %s, %d BPTT shard%s;"
                        + " held-out: %d sequences (seed %d); %.1f s of training",
                spec.batchSize(), rule(spec.optimizer()), spec.shards(),
                spec.shards() == 1 ? "" : "s", heldOutCount, heldOutSeed, run.trainingSeconds());
        try {
            TrainingChart.writePng(run.history(), title, subtitle, png);
            out.println("demo: plot       " + png);
        } catch (IOException | RuntimeException e) {
            // the numbers are safe in history.csv; `plot --history` can draw them later
            err.println("demo: could not draw " + png + ": " + e);
        }
        String figures = String.format(Locale.ROOT, "version %d, %,d sequences trained, held-out accuracy %.1f%% (%d sequences);"
                        + " %.1f s wall time (%.1f s training)", version, trained, 100 * run.accuracy(), heldOutCount,
                (System.nanoTime() - began) / 1e9, run.trainingSeconds());
        switch (run.end()) {
            case REACHED -> out.println("demo: reached 100% held-out accuracy: " + figures);
            case SEQUENCE_BUDGET -> err.println("demo: the budget of " + maxSequences + " sequences ran out before every held-out"
                    + " sequence was right: " + figures + " (raise --max-sequences)");
            case TIME_BUDGET -> err.println("demo: the budget of " + number(maxMinutes) + " minutes ran out before every held-out"
                    + " sequence was right: " + figures + " (raise --max-minutes)");
            case INTERRUPTED -> err.println("demo: interrupted: " + figures);
        }
    }

    private static String rule(Optimizer.Settings o) {
        return o.kind() != Optimizer.Kind.SGD ? o.kind().key() + ", learning rate " + number(o.learningRate())
                : "learning rate " + number(o.learningRate()) + ", momentum " + number(o.momentum());
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
