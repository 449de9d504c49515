package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.LiveJob;
import dev.unroll.launch.Pipeline;
import dev.unroll.launch.SequenceFeeder;
import dev.unroll.model.Network;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Predicate;
import dev.unroll.format.Json;

/**
 * The overload benchmark: a producer drives the live job on the embedded default as fast as it
 * can (or at a given rate) for a stated time; then production stops and the job drains. Prints
 * one JSON line: the rates, the lag when production stopped and at the end, the time from one
 * update to the next (median and 95th percentile, by the aggregator's publish times), heap, and
 * the count check (records in = sequences trained + dead letters + a partial batch still waiting).
 */
@Command(name = "load", description = "Overload benchmark: drive the live job from a producer, report sustained rate and lag.")
final class LoadCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "a job file with a task section")
    Path job;

    @Option(names = "--seconds", description = "how long to produce (default ${DEFAULT-VALUE})")
    int seconds = 30;

    @Option(names = "--rate", description = "records per second to offer; 0 for as fast as possible (default ${DEFAULT-VALUE})")
    int rate = 0;

    @Option(names = "--drain-seconds", description = "how long to wait for the job to catch up (default ${DEFAULT-VALUE})")
    int drainSeconds = 120;

    @Option(names = "--parallelism", description = "BPTT parallelism (default: the job's)")
    Integer parallelism;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.forJob(config, net, parallelism);
        int batch = spec.batchSize();
        Map<String, Object> report = new LinkedHashMap<>();
        try (LiveJob live = LiveJob.start(config, LiveJob.Kafka.embedded(), kafka -> spec, Pipeline.Options.live(config),
                null)) {
            UpdateTimes updates = new UpdateTimes();
            long start = System.nanoTime();
            ParameterVersion newest;
            SequenceFeeder feeder = new SequenceFeeder(live.kafka().producerProperties(), live.topics().sequences(),
                    new GeneratedSequences(config, net, 1, false).records(), Long.MAX_VALUE, Long.MAX_VALUE, rate);
            try {
                newest = live.follow(null, until(updates, seconds, null), feeder);
            } finally {
                feeder.close(); // production stops here; the job drains what was sent
            }
            long produced = feeder.produced();
            double produceSeconds = (System.nanoTime() - start) / 1e9;
            long trainedAtStop = trained(newest);
            newest = orElse(live.follow(null, until(updates, drainSeconds, v -> produced - trained(v) < batch), null), newest);
            double totalSeconds = (System.nanoTime() - start) / 1e9;
            long dead = live.deadLetters(true);
            Runtime rt = Runtime.getRuntime();
            report.put("job", config.name());
            report.put("parallelism", spec.shards());
            report.put("produceSeconds", round(produceSeconds));
            report.put("recordsProduced", produced);
            report.put("offeredPerSecond", round(produced / produceSeconds));
            report.put("trainedPerSecondWhileProducing", round(trainedAtStop / produceSeconds));
            report.put("lagAtStop", produced - trainedAtStop);
            report.put("sequencesTrained", trained(newest));
            report.put("sustainedPerSecond", round(trained(newest) / totalSeconds));
            report.put("deadLetters", dead);
            long waiting = produced - trained(newest) - dead;
            report.put("finalLag", waiting);
            report.put("countsAddUp", waiting >= 0 && waiting < batch);
            report.put("updates", updates.millis.getN());
            report.put("msPerUpdateP50", updates.percentile(50));
            report.put("msPerUpdateP95", updates.percentile(95));
            report.put("heapUsedMiB", (rt.totalMemory() - rt.freeMemory()) >> 20);
            report.put("heapMaxMiB", rt.maxMemory() >> 20);
        }
        System.out.println(dev.unroll.format.Json.write(report));
        return Boolean.TRUE.equals(report.get("countsAddUp")) ? 0 : 1;
    }

    /** Follows for at most {@code seconds}, or until {@code done} holds for the newest version. */
    private static LiveJob.Watcher until(UpdateTimes updates, int seconds, Predicate<ParameterVersion> done) {
        return new LiveJob.Watcher() {
            @Override
            public void version(ParameterVersion v) {
                updates.accept(v);
            }

            @Override
            public boolean poll(ParameterVersion newest, double elapsed) {
                return elapsed >= seconds || (done != null && done.test(newest));
            }
        };
    }

    /** Milliseconds between consecutive new versions, by the aggregator's publish times. */
    private static final class UpdateTimes implements Consumer<ParameterVersion> {
        private final DescriptiveStatistics millis = new DescriptiveStatistics();
        private ParameterVersion last;

        @Override
        public void accept(ParameterVersion v) {
            // the topic is at-least-once: a version seen again is no update
            if (last != null && v.version > last.version) {
                millis.addValue((v.publishedAt - last.publishedAt) / (double) (v.version - last.version));
            }
            if (last == null || v.version > last.version) {
                last = v;
            }
        }

        Double percentile(double p) {
            return millis.getN() == 0 ? null : millis.getPercentile(p);
        }
    }

    private static long trained(ParameterVersion v) {
        return v == null ? 0 : v.sequencesTrained;
    }

    private static ParameterVersion orElse(ParameterVersion v, ParameterVersion other) {
        return v != null ? v : other;
    }

    private static double round(double x) {
        return Math.round(x * 10) / 10.0;
    }
}
