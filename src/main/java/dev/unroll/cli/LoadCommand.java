package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.SequenceJson;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
        Task task = Tasks.fromJob(config, net);
        TrainingSpec spec = TrainingSpec.forJob(config, net, parallelism);
        int p = spec.shards();
        int batch = config.get(JobConfig.BATCH_SIZE);
        AtomicLong produced = new AtomicLong();
        AtomicBoolean producing = new AtomicBoolean(true);
        Map<String, Object> report = new LinkedHashMap<>();
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaConnectors kafka = new KafkaConnectors(broker.bootstrapServers(), config.kafka());
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            try (Pipeline pipeline = Pipeline.start(LocalFlink.create(p), spec, kafka, topics,
                    config.get(JobConfig.PARTITIONS), Pipeline.Options.live(config))) {
                Thread producer = new Thread(() -> produce(kafka, topics.sequences(), task, produced, producing), "load-producer");
                long start = System.nanoTime();
                producer.start();
                ParameterVersion newest = null;
                UpdateTimes updates = new UpdateTimes();
                while (System.nanoTime() - start < seconds * 1_000_000_000L) {
                    newest = orElse(pipeline.follow(updates, Duration.ofMillis(200)), newest);
                }
                producing.set(false);
                producer.join();
                double produceSeconds = (System.nanoTime() - start) / 1e9;
                long trainedAtStop = newest == null ? 0 : newest.sequencesTrained;
                long lagAtStop = produced.get() - trainedAtStop;
                long drainStart = System.nanoTime();
                while (produced.get() - trained(newest) >= batch
                        && System.nanoTime() - drainStart < drainSeconds * 1_000_000_000L) {
                    newest = orElse(pipeline.follow(updates, Duration.ofMillis(200)), newest);
                }
                double totalSeconds = (System.nanoTime() - start) / 1e9;
                long dead = KafkaClients.readAll(broker.bootstrapServers(), topics.deadLetters(), Duration.ofSeconds(30)).size();
                Runtime rt = Runtime.getRuntime();
                report.put("job", config.name());
                report.put("parallelism", p);
                report.put("produceSeconds", round(produceSeconds));
                report.put("recordsProduced", produced.get());
                report.put("offeredPerSecond", round(produced.get() / produceSeconds));
                report.put("trainedPerSecondWhileProducing", round(trainedAtStop / produceSeconds));
                report.put("lagAtStop", lagAtStop);
                report.put("sequencesTrained", trained(newest));
                report.put("sustainedPerSecond", round(trained(newest) / totalSeconds));
                report.put("deadLetters", dead);
                long waiting = produced.get() - trained(newest) - dead;
                report.put("finalLag", waiting);
                report.put("countsAddUp", waiting >= 0 && waiting < batch);
                report.put("updates", updates.millis.getN());
                report.put("msPerUpdateP50", updates.percentile(50));
                report.put("msPerUpdateP95", updates.percentile(95));
                report.put("heapUsedMiB", (rt.totalMemory() - rt.freeMemory()) >> 20);
                report.put("heapMaxMiB", rt.maxMemory() >> 20);
            }
        }
        System.out.println(dev.unroll.model.Json.write(report));
        return Boolean.TRUE.equals(report.get("countsAddUp")) ? 0 : 1;
    }

    private void produce(KafkaConnectors kafka, String topic, Task task, AtomicLong produced, AtomicBoolean producing) {
        Iterator<dev.unroll.model.Sequence> sequences = Tasks.generator(task, 1, "load");
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            while (producing.get()) {
                if (rate > 0 && produced.get() >= rate * ((System.nanoTime() - start) / 1e9)) {
                    Thread.onSpinWait();
                    continue;
                }
                producer.send(new ProducerRecord<>(topic, SequenceJson.write(sequences.next()).getBytes(StandardCharsets.UTF_8)));
                produced.incrementAndGet();
            }
            producer.flush();
        }
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
