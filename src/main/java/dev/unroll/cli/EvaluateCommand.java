package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Activation;
import dev.unroll.model.Bptt;
import dev.unroll.format.Json;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceFile;
import dev.unroll.task.Evaluation;
import dev.unroll.task.KeyedEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import dev.unroll.model.KeyedNetwork;

/**
 * Scores trained parameters on a file of sequences: one JSON line with the mean loss, the
 * fraction of binary targets right, the fraction of sequences with all of them right, and how
 * far the state at T is from the targets at T (and, with {@code --steps-beyond K}, how far it
 * is K steps later). {@code --trace I} adds one JSON line per time step of sequence I.
 *
 * <p>With {@code training.models: per-key} the parameters are the per-key file and each sequence is
 * scored by its key's model: the line then sums up the keys (how many, how many have every
 * held-out sequence right, the spread of their loss and accuracy); {@code --key K} gives key K's
 * figures alone, {@code --each} adds one line per key.
 */
@Command(name = "evaluate", description = "Scores parameters on sequences: loss, binary targets right, settling; optionally traces one sequence.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML)")
    Path job;

    @Option(names = "--params", required = true, description = "the parameters to score (network.json format; with per-key models, the per-key file)")
    Path params;

    @Option(names = "--data", required = true, description = "sequences, one JSON per line")
    Path data;

    @Option(names = "--steps-beyond", description = "run K more steps past T and check the targets at T still hold (default ${DEFAULT-VALUE})")
    int stepsBeyond = 0;

    @Option(names = "--trace", arity = "0..1", fallbackValue = "0", paramLabel = "INDEX",
            description = "print the states of sequence INDEX (0-based line number; 0 if omitted), one JSON line per step")
    Integer trace;

    @Option(names = "--key", description = "per-key models: score key K's model on K's sequences alone")
    String key;

    @Option(names = "--each", description = "per-key models: after the summary, one line per key")
    boolean each;

    @Override
    public Integer call() {
        if (stepsBeyond < 0) {
            System.err.println("unroll evaluate: --steps-beyond must be 0 or more, found " + stepsBeyond);
            return Main.BAD_INPUT;
        }
        if (trace != null && trace < 0) {
            System.err.println("unroll evaluate: --trace index must be 0 or more, found " + trace);
            return Main.BAD_INPUT;
        }
        JobConfig config = JobConfig.read(job);
        Network initial = config.loadNetwork();
        return ModelCommands.of(config).evaluate(this, config, initial);
    }

    /** One model: the summary over the sequences, and the traced one. */
    int scoreOneModel(JobConfig config, Network initial) {
        if (key != null || each) {
            System.err.println("unroll evaluate: --key and --each need a job with training.models: per-key; "
                    + config.file() + " trains one model");
            return Main.BAD_INPUT;
        }
        Network net = JobParameters.read(config, initial, params);
        Evaluation.Summary summary = new Evaluation.Summary(stepsBeyond);
        Sequence traced = null;
        long index = 0;
        try (SequenceFile sequences = new SequenceFile(data, net, config.limits())) {
            for (Sequence seq : sequences) {
                summary.add(Evaluation.score(net, seq, stepsBeyond));
                if (trace != null && index == trace) {
                    traced = seq;
                }
                index++;
            }
        }
        if (trace != null && traced == null) {
            throw new ModelException(data.toString(), "", "--trace " + trace + " is beyond the " + index + " sequences");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("job", config.name());
        out.put("params", params.toString());
        out.put("data", data.toString());
        out.putAll(summary.toMap());
        System.out.println(Json.write(out));
        if (traced != null) {
            printTrace(net, traced, trace);
        }
        return 0;
    }

    /** Each sequence scored by its key's model: a summary over keys, or key K's own figures with {@code --key}. */
    int scorePerKey(JobConfig config, Network initial) {
        List<KeyedNetwork> models = JobParameters.readKeyedEntries(config, initial, params);
        List<Sequence> sequences = HeldOut.read(config, initial, data, key);
        KeyedEvaluation scored = KeyedEvaluation.of(models, initial, sequences, stepsBeyond, data.toString());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("job", config.name());
        out.put("params", params.toString());
        out.put("data", data.toString());
        out.put("models", models.size());
        if (key != null) {
            out.putAll(KeyedEvaluation.keyLine(scored.score(key)));
        } else {
            out.putAll(scored.toMap());
        }
        System.out.println(Json.write(out));
        if (each && key == null) {
            scored.scores().forEach(s -> System.out.println(Json.write(KeyedEvaluation.keyLine(s))));
        }
        if (trace != null) {
            if (trace >= sequences.size()) {
                throw new ModelException(data.toString(), "", "--trace " + trace + " is beyond the " + sequences.size() + " sequences"
                        + (key == null ? "" : " of key " + Json.write(key)));
            }
            Sequence traced = sequences.get(trace);
            KeyedEvaluation.KeyScore own = scored.score(traced.key());
            printTrace(own.model() == null ? initial : own.model().network(), traced, trace);
        }
        return 0;
    }

    /** A header line, then for t = 0 .. T+K: the states, whether inputs clamped them, and the targets at t. */
    private void printTrace(Network net, Sequence seq, int traceIndex) {
        int steps = seq.steps();
        Bptt.Activities run = Bptt.forward(net, seq, steps + stepsBeyond);
        Activation f = net.activation();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("trace", traceIndex);
        header.put("id", seq.id());
        if (seq.key() != null) {
            header.put("key", seq.key());
        }
        header.put("steps", steps);
        header.put("stepsBeyond", stepsBeyond);
        header.put("loss", run.loss());
        System.out.println(Json.write(header));
        for (int t = 0; t <= steps + stepsBeyond; t++) {
            double[] state = new double[net.units()];
            for (int u = 0; u < state.length; u++) {
                state[u] = run.state(t, u);
            }
            List<Map<String, Object>> targets = new ArrayList<>();
            for (Sequence.Target target : seq.targets()) {
                if (target.t() != t) {
                    continue;
                }
                for (int k = 0; k < target.units().length; k++) {
                    double d = target.values()[k];
                    Map<String, Object> term = new LinkedHashMap<>();
                    term.put("unit", target.units()[k]);
                    term.put("value", d);
                    if (f.isBinary(d)) {
                        term.put("right", f.isRight(d, state[target.units()[k]]));
                    }
                    targets.add(term);
                }
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("t", t);
            line.put("clamped", seq.hasInputs() && t < steps);
            if (t > steps) {
                line.put("beyond", true);
            }
            line.put("state", state);
            if (!targets.isEmpty()) {
                line.put("targets", targets);
            }
            System.out.println(Json.write(line));
        }
    }
}
