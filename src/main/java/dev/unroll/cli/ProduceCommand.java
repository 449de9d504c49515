package dev.unroll.cli;

import dev.unroll.io.AtomicFile;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.model.SequenceJson;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Generates a job's task sequences ({@code task.*} of the job file) into a {@code .jsonl} file or
 * the job's sequences topic. Sequence k of seed S is the same wherever it goes: the file gets
 * {@code SequenceJson.write} lines, Kafka gets the same bytes keyed by the sequence's {@code key}
 * when it has one (per-key tasks: a key's sequences share a partition, so they stay in order) and
 * by its id ({@code NAME-S-k}) otherwise. Every sequence is checked against the job's network
 * before it is written.
 */
@Command(name = "produce", description = "Generates the job's task sequences into Kafka or a .jsonl file; the same seed gives the same sequences.")
final class ProduceCommand implements Callable<Integer> {
    /** Below this many sequences no progress line is printed. */
    private static final long PROGRESS_FROM = 10_000;

    @Option(names = "--job", required = true, description = "the job file (YAML) with its task section")
    Path job;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Destination destination;

    static final class Destination {
        @Option(names = "--bootstrap-servers", required = true, description = "Kafka HOST:PORT[,...]: write to the job's sequences topic")
        String bootstrap;

        @Option(names = "--out", required = true, description = "write a .jsonl file, one sequence per line")
        Path out;
    }

    @Option(names = "--count", required = true, description = "how many sequences")
    long count;

    @Option(names = "--seed", description = "random seed (default ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (count < 0) {
            System.err.println("unroll produce: --count must be 0 or more, found " + count);
            return Main.BAD_INPUT;
        }
        JobConfig config = JobConfig.read(job);
        Network net = config.loadNetwork();
        Task task = Tasks.fromJob(config, net);
        Lines lines = new Lines(config, net, Tasks.generator(task, seed, Tasks.idPrefix(config, seed)));
        Counter progress = new Counter(quiet || count < PROGRESS_FROM);
        if (destination.out != null) {
            writeFile(destination.out, lines, progress);
            progress.done("to " + destination.out);
        } else {
            String topic = config.get(JobConfig.SEQUENCES_TOPIC);
            writeKafka(config, destination.bootstrap, topic, lines, progress);
            progress.done("to topic " + topic + " at " + destination.bootstrap);
        }
        return 0;
    }

    private void writeFile(Path out, Lines lines, Counter progress) throws IOException {
        AtomicFile.write(out, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (long k = 0; k < count; k++) {
                    w.write(lines.next().json);
                    w.write('\n');
                    progress.tick();
                }
            }
        });
    }

    private void writeKafka(JobConfig config, String bootstrap, String topic, Lines lines, Counter progress)
            throws InterruptedException {
        Properties props = KafkaClients.producerProps(bootstrap);
        // a bulk load: let records gather into batches (the shared default sends each at once)
        props.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        props.putAll(config.kafka());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        KafkaClients.requireReachable(props, KafkaClients.REACH_TIMEOUT);
        createTopicIfAbsent(config, bootstrap, topic);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (long k = 0; k < count && failure.get() == null; k++) {
                Line line = lines.next();
                producer.send(new ProducerRecord<>(topic, line.recordKey().getBytes(StandardCharsets.UTF_8),
                        line.json.getBytes(StandardCharsets.UTF_8)), (meta, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                progress.tick();
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("writing to " + topic + " failed: " + failure.get().getMessage(), failure.get());
        }
    }

    /** Creates the sequences topic with the job's partition count; an existing topic is left as it is. */
    private static void createTopicIfAbsent(JobConfig config, String bootstrap, String topic) throws InterruptedException {
        Properties props = new Properties();
        props.putAll(config.kafka());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            NewTopic t = new NewTopic(topic, Optional.of(config.get(JobConfig.PARTITIONS)), Optional.empty());
            admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                // not fatal: the topic may exist under rules we cannot see, or the broker may create it
                System.err.println("unroll produce: could not create topic " + topic + ": " + e.getCause().getMessage());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + bootstrap + " within 60 s");
        }
    }

    private record Line(String id, String key, String json) {
        String recordKey() {
            return key != null ? key : id;
        }
    }

    /** The generated sequences as validated JSON lines. */
    private static final class Lines {
        private final JobConfig config;
        private final Network net;
        private final Iterator<Sequence> sequences;

        Lines(JobConfig config, Network net, Iterator<Sequence> sequences) {
            this.config = config;
            this.net = net;
            this.sequences = sequences;
        }

        Line next() {
            Sequence seq = sequences.next();
            String json = SequenceJson.write(seq);
            // what the trainer will read back must pass its checks (limits included)
            SequenceJson.parse(json, config.file() + ": generated sequence " + seq.id(), net, config.limits());
            return new Line(seq.id(), seq.key(), json);
        }
    }

    /** Progress for large counts: one line on stderr, rewritten at most twice a second. */
    private final class Counter {
        private final boolean silent;
        private final PrintStream err = System.err;
        private final long started = System.nanoTime();
        private long lastPrinted = started;
        private long done;

        Counter(boolean silent) {
            this.silent = silent;
        }

        void tick() {
            done++;
            if (silent || (done & 255) != 0) {
                return;
            }
            long now = System.nanoTime();
            if (now - lastPrinted >= 500_000_000L) {
                lastPrinted = now;
                err.print("\rproduce: " + line(now));
                err.flush();
            }
        }

        void done(String where) {
            if (!quiet) {
                err.println((silent ? "" : "\r") + "produce: " + line(System.nanoTime()) + " " + where);
            }
        }

        private String line(long now) {
            double seconds = (now - started) / 1e9;
            return String.format(Locale.ROOT, "%d/%d sequences, %.1f s", done, count, seconds);
        }
    }
}
