package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.report.History;
import dev.unroll.report.KeysChart;
import dev.unroll.report.ParameterHistory;
import dev.unroll.report.TrainingChart;
import dev.unroll.task.KeyedEvaluation;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import dev.unroll.model.KeyedNetwork;

/**
 * Draws a training run, batch loss and held-out accuracy against sequences trained, the picture
 * {@code demo} writes: from a {@code history.csv}, or from a job's parameters topic, scoring each
 * version on held-out sequences when {@code --data} is given.
 *
 * <p>With per-key models ({@code training.models: per-key}) it draws one key's run with
 * {@code --key K} (that key's versions on the topic, scored on that key's held-out sequences), and
 * otherwise the summary over keys: every key's held-out loss and accuracy, from a per-key file
 * ({@code --params}) or the newest version of each key on the topic.
 */
@Command(name = "plot", description =
        "Draws batch loss and held-out accuracy against sequences trained into a PNG: from a demo's history.csv,"
        + " or from a job's parameters topic (every version, scored on --data when given)."
        + " With per-key models: one key's run (--key K), or every key's held-out loss and accuracy"
        + " (from --params PERKEY.jsonl or the topic's newest version of each key, scored on --data).")
final class PlotCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--history", required = true, description = "a history.csv written by demo")
        Path history;

        @ArgGroup(exclusive = false)
        JobSource job;
    }

    static final class JobSource {
        @Option(names = "--job", required = true, description = "the job file (YAML): its network, name and topics")
        Path job;

        @Option(names = "--bootstrap-servers", description = "Kafka HOST:PORT[,...] holding the parameters topic")
        String bootstrap;

        @Option(names = "--params", description = "per-key models: the per-key parameters file, drawn as the summary over keys")
        Path params;

        @Option(names = "--topic", description = "the parameters topic (default: the job's topics.parameters)")
        String topic;

        @Option(names = "--data", description = "held-out sequences (.jsonl) to score each version (with per-key models, each key) on")
        Path data;

        @Option(names = "--key", description = "per-key models: draw key K's run from the topic")
        String key;

        @Option(names = "--every", description = "score every N-th version (and the newest) on --data (default 1)")
        int every = 1;

        @Option(names = "--timeout-seconds", description = "give up reading the topic after this long (default 120)")
        int timeoutSeconds = 120;
    }

    @Option(names = "--out", required = true, description = "the PNG to write")
    Path out;

    @Option(names = "--title", description = "the chart's title (default: from the run)")
    String title;

    @Option(names = "--quiet", description = "print nothing on success")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        History history;
        String name;
        String subtitle;
        if (source.history != null) {
            history = History.read(source.history);
            Path parent = source.history.toAbsolutePath().getParent();
            name = (parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "/")
                    + source.history.getFileName();
            subtitle = null;
        } else {
            JobSource t = source.job;
            if (t.every < 1) {
                return usage("--every must be at least 1, found " + t.every);
            }
            if ((t.bootstrap == null) == (t.params == null)) {
                return usage("give either --bootstrap-servers (a parameters topic) or --params (a per-key parameters file)");
            }
            JobConfig config = JobConfig.read(t.job);
            ModelCommands models = ModelCommands.of(config);
            if (!models.hasKeys() && (t.params != null || t.key != null)) {
                return usage((t.key != null ? "--key" : "--params") + " needs a job with training.models: per-key; "
                        + config.file() + " trains one model");
            }
            if (t.params != null && t.key != null) {
                return usage("one key's run comes from the parameters topic: --bootstrap-servers with --key");
            }
            Network initial = config.loadNetwork();
            if (models.hasKeys() && t.key == null) {
                return keys(config, initial, t);
            }
            KafkaConnectors kafka = KafkaConnectors.of(t.bootstrap, config);
            kafka.requireReachable();
            List<Sequence> heldOut = t.data == null ? null : HeldOut.read(config, initial, t.data, t.key);
            String topic = t.topic != null ? t.topic : config.get(JobConfig.PARAMETERS_TOPIC);
            ParameterHistory.Result read = ParameterHistory.read(kafka.versionLog(topic, config.name(), initial, config.limits()),
                    t.key, initial, heldOut, t.every, Duration.ofSeconds(t.timeoutSeconds));
            history = read.history();
            String of = config.name() + (t.key == null ? "" : ", key " + t.key);
            if (history.isEmpty()) {
                System.err.println("unroll plot: " + topic + " holds no parameter version of job " + of
                        + " (" + read.records() + " records, " + read.skipped() + " of other jobs" + (t.key == null ? "" : " or keys")
                        + ", undecodable or unsigned)");
                return 1;
            }
            name = t.key == null ? config.name() : config.name() + " " + t.key;
            subtitle = topic + (heldOut == null ? "" : "; held-out: " + heldOut.size() + " sequences of " + t.data.getFileName()
                    + (t.key == null ? "" : " with key " + t.key));
        }
        String heading = title != null ? title : headline(name, history);
        TrainingChart.writePng(history, heading, subtitle, out);
        if (!quiet) {
            History.Point last = history.last();
            History.Point reached = TrainingChart.firstAllRight(history.points());
            System.err.printf(Locale.ROOT, "plot: %d versions, up to version %d (%d sequences)%s, to %s%n",
                    history.points().size(), last == null ? 0 : last.version(), last == null ? 0 : last.sequencesTrained(),
                    reached == null ? "" : String.format(Locale.ROOT, ", held-out all right first at version %d (%d sequences)",
                            reached.version(), reached.sequencesTrained()), out);
        }
        return 0;
    }

    private static int usage(String problem) {
        System.err.println("unroll plot: " + problem);
        return Main.BAD_INPUT;
    }

    /** Per-key models: every key's held-out figures, from the per-key file or the topic's newest versions. */
    private int keys(JobConfig config, Network initial, JobSource t) throws Exception {
        if (t.data == null) {
            return usage("the summary over keys scores each key on held-out sequences: give --data (or --key K for one key's run)");
        }
        List<KeyedNetwork> models;
        String from;
        if (t.params != null) {
            models = JobParameters.readKeyedEntries(config, initial, t.params);
            from = t.params.getFileName().toString();
        } else {
            KafkaConnectors kafka = KafkaConnectors.of(t.bootstrap, config);
            kafka.requireReachable();
            String topic = t.topic != null ? t.topic : config.get(JobConfig.PARAMETERS_TOPIC);
            ParameterHistory.Keyed read = ParameterHistory.newestPerKey(kafka.versionLog(topic, config.name(), initial,
                    config.limits()), initial, Duration.ofSeconds(t.timeoutSeconds));
            if (read.models().isEmpty()) {
                System.err.println("unroll plot: " + topic + " holds no keyed parameter version of job " + config.name()
                        + " (" + read.records() + " records, " + read.skipped() + " of other jobs, without a key, undecodable or unsigned)");
                return 1;
            }
            models = read.models();
            from = "newest versions on " + topic;
        }
        List<Sequence> heldOut = HeldOut.read(config, initial, t.data, t.key);
        KeyedEvaluation scored = KeyedEvaluation.of(models, initial, heldOut, 0, t.data.toString());
        String heading = title != null ? title : KeysChart.headline(config.name(), scored);
        String subtitle = KeysChart.spread(scored) + "; models: " + from + "; held-out: " + heldOut.size()
                + " sequences of " + t.data.getFileName();
        KeysChart.writePng(scored, heading, subtitle, out);
        if (!quiet) {
            System.err.printf(Locale.ROOT, "plot: %d keys (%d models), %d with every held-out sequence right, to %s%n",
                    scored.scores().size(), models.size(), scored.keysAllRight(), out);
        }
        return 0;
    }

    /** "NAME: 100% held-out after N sequences" or "NAME: N sequences, held-out X%". */
    static String headline(String name, History history) {
        History.Point reached = TrainingChart.firstAllRight(history.points());
        if (reached != null) {
            return String.format(Locale.ROOT, "%s: 100%% held-out accuracy after %,d sequences (version %d)", name,
                    reached.sequencesTrained(), reached.version());
        }
        History.Point last = history.last();
        History.Point scored = history.lastScored();
        String trained = last == null ? "no versions" : String.format(Locale.ROOT, "%,d sequences", last.sequencesTrained());
        return scored == null ? name + ": " + trained
                : String.format(Locale.ROOT, "%s: %s, held-out accuracy %.1f%%", name, trained, 100 * scored.heldOutAccuracy());
    }
}
