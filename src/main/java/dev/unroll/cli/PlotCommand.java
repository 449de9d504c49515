package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.model.SequenceFile;
import dev.unroll.report.History;
import dev.unroll.report.ParameterHistory;
import dev.unroll.report.TrainingChart;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Draws a training run, batch loss and held-out accuracy against sequences trained, the picture
 * {@code demo} writes: from a {@code history.csv}, or from a job's parameters topic, scoring each
 * version on held-out sequences when {@code --data} is given.
 */
@Command(name = "plot", description =
        "Draws batch loss and held-out accuracy against sequences trained into a PNG: from a demo's history.csv,"
        + " or from a job's parameters topic (every version, scored on --data when given).")
final class PlotCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--history", required = true, description = "a history.csv written by demo")
        Path history;

        @ArgGroup(exclusive = false)
        TopicSource topic;
    }

    static final class TopicSource {
        @Option(names = "--job", required = true, description = "the job file (YAML): its network, name and topics")
        Path job;

        @Option(names = "--bootstrap-servers", required = true, description = "Kafka HOST:PORT[,...] holding the parameters topic")
        String bootstrap;

        @Option(names = "--topic", description = "the parameters topic (default: the job's topics.parameters)")
        String topic;

        @Option(names = "--data", description = "held-out sequences (.jsonl) to score each version on")
        Path data;

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
            TopicSource t = source.topic;
            if (t.every < 1) {
                System.err.println("unroll plot: --every must be at least 1, found " + t.every);
                return Main.BAD_INPUT;
            }
            JobConfig config = JobConfig.read(t.job);
            KafkaConnectors kafka = new KafkaConnectors(t.bootstrap, config.kafka());
            KafkaClients.requireReachable(kafka.consumerProperties(), KafkaClients.REACH_TIMEOUT);
            Network initial = config.loadNetwork();
            List<Sequence> heldOut = t.data == null ? null : SequenceFile.readAll(t.data, initial, config.limits());
            String topic = t.topic != null ? t.topic : config.get(JobConfig.PARAMETERS_TOPIC);
            ParameterHistory.Result read = ParameterHistory.read(kafka.consumerProperties(), topic, config.name(), initial,
                    config.limits(), heldOut, t.every, Duration.ofSeconds(t.timeoutSeconds));
            history = read.history();
            if (history.isEmpty()) {
                System.err.println("unroll plot: " + topic + " holds no parameter version of job " + config.name()
                        + " (" + read.records() + " records, " + read.skipped() + " of other jobs or undecodable)");
                return 1;
            }
            name = config.name();
            subtitle = topic + (heldOut == null ? "" : "; held-out: " + heldOut.size() + " sequences of " + t.data.getFileName());
        }
        String heading = title != null ? title : headline(name, history);
        TrainingChart.writePng(history, heading, subtitle, out);
        if (!quiet) {
            History.Point last = history.last();
            System.err.printf(Locale.ROOT, "plot: %d versions, up to version %d (%d sequences), to %s%n",
                    history.points().size(), last == null ? 0 : last.version(), last == null ? 0 : last.sequencesTrained(), out);
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
