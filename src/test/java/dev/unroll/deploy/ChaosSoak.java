package dev.unroll.deploy;

import dev.unroll.ExternalTools;
import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.Trainer;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.SourceRanges;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Chaos on the local cluster of {@code deploy/local} with the JobManager's high availability
 * ({@code UNROLL_HA=1}): for a bounded time, at random intervals, a SIGKILL to a TaskManager, the
 * JobManager or the Kafka broker, each started again after a random while as a supervisor would,
 * while a producer writes sequences at a steady rate; then the job is let finish. It checks that
 * every parameter record published, before, between and after the faults, equals the offline
 * trainer's version of its number to 1e-9 (so no version number ever stands for two parameter
 * sets, under one epoch or across epochs), that the newest is the trainer's over every sequence
 * written, each trained once, and prints the faults survived and the time to recover from each:
 * from the kill to the first version past the newest before it, published after the kill.
 *
 * <p>Minutes long, so outside the default suite (LocalClusterIT is its short version there):
 * <pre>
 *   mvn -B package -DskipTests
 *   mvn -B -o test -Dtest=ChaosSoak -Dunroll.soak.minutes=10 [-Dunroll.soak.seed=S]
 * </pre>
 */
class ChaosSoak {
    private static final int PARALLELISM = 2;
    private static final int BATCH = 16;
    /** sequences written per second, a few batches: the job keeps up between faults and catches up after */
    private static final int RATE = 40;
    /** seconds between one recovery and the next fault, and how long a killed process stays down */
    private static final double GAP_MIN = 5;
    private static final double GAP_MAX = 40;
    private static final double DOWN_MIN = 0.5;
    private static final double DOWN_MAX = 10;
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(5);
    private static final List<String> VICTIMS = List.of("taskmanager-1", "taskmanager-2", "jobmanager", "kafka");

    @TempDir
    Path dir;

    /** A fault and how long the job took to publish a new version after it. */
    private record Fault(String victim, double downSeconds, double recoverySeconds, List<String> alsoDied) {
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.HOURS) // unroll.soak.minutes up to 100, start, the last recovery and the checks
    void killedTaskManagersJobManagersAndBrokersChangeNothing() throws Exception {
        ExternalTools.require("curl", "--version");
        double minutes = Double.parseDouble(System.getProperty("unroll.soak.minutes", "10"));
        assertTrue(minutes <= 100, "unroll.soak.minutes: at most 100 (the test's timeout is 2 hours)");
        long seed = Long.getLong("unroll.soak.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        Path jobJar = LocalCluster.REPO.resolve("target/unroll-job.jar");
        assertTrue(Files.isRegularFile(jobJar), "no " + jobJar + ": build it with `mvn -B package -DskipTests`");
        Path job = jobFile();
        JobConfig config = JobConfig.read(job);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        Network initial = config.loadNetwork();
        ParameterRecords records = new ParameterRecords(initial, config.limits());
        Path sequences = dir.resolve("sequences.jsonl");
        int planned = (int) (RATE * (minutes * 60 + 600));
        assertEquals(0, dev.unroll.cli.Main.run("produce", "--job", job.toString(), "--out", sequences.toString(),
                "--count", Integer.toString(planned), "--seed", Long.toString(seed), "--quiet"));
        List<String> lines = Files.readAllLines(sequences);

        LocalCluster cluster = new LocalCluster(LocalCluster.REPO.resolve("target/chaos-soak"), jobJar, true);
        Thread stopOnExit = new Thread(cluster::stop);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        Producer producer = null;
        VersionWatch watch = null;
        try {
            cluster.script(Duration.ofMinutes(3), "start.sh");
            String jobId = cluster.submit(job, PARALLELISM);
            watch = new VersionWatch(cluster.bootstrap(), topics.parameters(), records);
            producer = new Producer(cluster.bootstrap(), topics.sequences(), lines);
            System.out.printf("ChaosSoak: seed %d, %.1f minutes of faults, job %s at P=%d, %d sequences/s%n",
                    seed, minutes, jobId, PARALLELISM, RATE);

            List<Fault> faults = new ArrayList<>();
            long end = System.nanoTime() + (long) (minutes * 60e9);
            while (true) {
                Thread.sleep((long) (1000 * uniform(random, GAP_MIN, GAP_MAX)));
                if (System.nanoTime() > end) {
                    break;
                }
                String victim = VICTIMS.get(random.nextInt(VICTIMS.size()));
                double down = uniform(random, DOWN_MIN, DOWN_MAX);
                long before = watch.newest();
                long killedAt = System.currentTimeMillis();
                cluster.kill(victim);
                Thread.sleep((long) (1000 * down));
                cluster.restart(victim);
                // the tasks of a killed JobManager run on until their TaskManagers notice: only versions
                // past those, published once the process is back, come from the recovered job
                long restartedAt = System.currentTimeMillis();
                long seen = watch.newest();
                List<String> alsoDied = new ArrayList<>();
                double recovered = awaitRecovery(cluster, watch, seen, restartedAt, alsoDied, killedAt);
                Fault fault = new Fault(victim, down, recovered, alsoDied);
                faults.add(fault);
                System.out.printf(Locale.ROOT, "ChaosSoak: %s killed at version %d, down %.1f s, new versions %.1f s after the kill%s%n",
                        victim, before, down, recovered, alsoDied.isEmpty() ? "" : "; also died and started again: " + alsoDied);
            }

            long written = producer.finish();
            List<String> trained = sequencesInTopic(cluster.bootstrap(), topics.sequences());
            assertEquals(written, trained.size(), "every sequence acknowledged is in the topic, once");
            long batches = trained.size() / BATCH;
            long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
            while (watch.newest() < batches) {
                assertTrue(System.nanoTime() < deadline, "version " + batches + " within " + RECOVERY_TIMEOUT
                        + "; newest " + watch.newest());
                restartTheDead(cluster, new ArrayList<>());
                Thread.sleep(500);
            }
            check(config, initial, trained, watch.all(), batches, topics.sequences());
            report(faults, watch.all(), trained.size());
            assertEquals("RUNNING", cluster.rest("/jobs/" + jobId).get("state").asText(), "the job still runs");
        } catch (Throwable t) {
            cluster.printLogs();
            throw t;
        } finally {
            if (producer != null) {
                producer.close();
            }
            if (watch != null) {
                watch.close();
            }
            cluster.stop();
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
    }

    /**
     * Waits for the first version past {@code seen} published after {@code restartedAt}, starting
     * again any process that died meanwhile (a TaskManager can take the other down: see
     * deploy/local/README.md); returns the seconds from {@code killedAt} to its publication.
     */
    private static double awaitRecovery(LocalCluster cluster, VersionWatch watch, long seen, long restartedAt,
                                        List<String> alsoDied, long killedAt) throws Exception {
        long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Long at = watch.firstPublishedAfter(seen, restartedAt);
            if (at != null) {
                return (at - killedAt) / 1000.0;
            }
            restartTheDead(cluster, alsoDied);
            Thread.sleep(200);
        }
        fail("no version past " + seen + " within " + RECOVERY_TIMEOUT.toMinutes() + " minutes of the restart");
        return Double.NaN;
    }

    private static void restartTheDead(LocalCluster cluster, List<String> alsoDied) throws Exception {
        for (String name : VICTIMS) {
            if (!cluster.alive(name)) {
                alsoDied.add(name);
                cluster.restart(name);
            }
        }
    }

    /** Every record against the trainer's version of its number; the newest against the end of the data. */
    private static void check(JobConfig config, Network initial, List<String> trained, List<ParameterVersion> published,
                              long batches, String sequencesTopic) {
        Trainer trainer = config.trainer(initial);
        List<Parameters> versions = new ArrayList<>(List.of(initial.parameters()));
        for (String line : trained.subList(0, (int) (batches * BATCH))) {
            trainer.add(SequenceJson.parse(line, "topic", initial, config.limits()));
            if (trainer.version() == versions.size()) {
                versions.add(trainer.network().parameters());
            }
        }
        assertEquals(batches, trainer.version());
        ParameterVersion newest = null;
        double largest = 0;
        for (ParameterVersion v : published) {
            assertTrue(v.version <= batches, "version " + v.version + " past the " + batches + " batches written");
            Parameters expected = versions.get((int) v.version);
            largest = Math.max(largest, difference(expected, v, "version " + v.version + " (epoch " + v.epoch + ")"));
            if (newest == null || v.version >= newest.version) {
                newest = v;
            }
        }
        assertEquals(batches, newest.version);
        assertEquals(batches * BATCH, newest.sequencesTrained, "each sequence once");
        assertEquals(sequencesTopic + " 0:0-" + (batches * BATCH - 1), newest.source.toString(), "the records trained into it");
        System.out.printf(Locale.ROOT, "ChaosSoak: all %d parameter records equal the trainer's version of their number"
                + " (largest relative difference %.1e), the newest version %d over all %d sequences%n",
                published.size(), largest, newest.version, newest.sequencesTrained);
    }

    /** The largest relative difference from the trainer's parameters; fails above 1e-9. */
    private static double difference(Parameters expected, ParameterVersion got, String what) {
        double largest = 0;
        double[][] e = {expected.weights, expected.biases, expected.initialState};
        double[][] g = {got.weights, got.biases, got.initialState};
        for (int a = 0; a < e.length; a++) {
            for (int k = 0; k < e[a].length; k++) {
                double d = Math.abs(g[a][k] - e[a][k]) / Math.max(1, Math.abs(e[a][k]));
                assertTrue(d <= 1e-9, what + ": " + g[a][k] + " but the trainer has " + e[a][k]);
                largest = Math.max(largest, d);
            }
        }
        return largest;
    }

    private static void report(List<Fault> faults, List<ParameterVersion> published, int sequences) {
        Map<String, DescriptiveStatistics> byKind = new TreeMap<>();
        DescriptiveStatistics all = new DescriptiveStatistics();
        for (Fault f : faults) {
            String kind = f.victim().replaceAll("-\\d+$", "");
            byKind.computeIfAbsent(kind, k -> new DescriptiveStatistics()).addValue(f.recoverySeconds());
            all.addValue(f.recoverySeconds());
        }
        Map<String, Integer> copies = new HashMap<>();
        for (ParameterVersion v : published) {
            copies.merge(v.epoch + "@" + v.version, 1, Integer::sum);
        }
        long epochs = published.stream().map(v -> v.epoch).distinct().count();
        long secondaries = faults.stream().mapToLong(f -> f.alsoDied().size()).sum();
        System.out.printf(Locale.ROOT, "ChaosSoak: %d faults survived (%d more processes died with them and were started"
                + " again); time to recover p50 %.1f s, max %.1f s%n", faults.size(), secondaries,
                all.getN() == 0 ? Double.NaN : all.getPercentile(50), all.getN() == 0 ? Double.NaN : all.getMax());
        byKind.forEach((kind, s) -> System.out.printf(Locale.ROOT, "ChaosSoak:   %-12s %3d kills, recovery p50 %.1f s,"
                + " max %.1f s%n", kind, s.getN(), s.getPercentile(50), s.getMax()));
        System.out.printf(Locale.ROOT, "ChaosSoak: %d sequences, %d parameter records of %d versions under %d epochs"
                + " (%d records repeat a version of their epoch: re-published after a restart)%n", sequences,
                published.size(), copies.keySet().stream().map(k -> k.substring(k.indexOf('@'))).distinct().count(),
                epochs, published.size() - copies.size());
    }

    private static double uniform(SplittableRandom random, double min, double max) {
        return min + (max - min) * random.nextDouble();
    }

    /** The soak's job: binary-addition-fast's network and rule (S = 4, momentum 0.5), checkpoints every second. */
    private Path jobFile() throws Exception {
        Files.copy(LocalCluster.REPO.resolve("jobs/binary-addition.network.json"), dir.resolve("binary-addition.network.json"));
        Path job = dir.resolve("chaos-soak.yaml");
        Files.writeString(job, """
                name: chaos-soak
                network: binary-addition.network.json
                training:
                  batchSize: %d
                  learningRate: 0.1
                  momentum: 0.5
                  staleness: 4
                stream:
                  parallelism: %d
                  checkpointIntervalMs: 1000
                task:
                  type: binary-addition
                  minBits: 1
                  maxBits: 8
                  delay: 2
                  carryOut: true
                """.formatted(BATCH, PARALLELISM));
        return job;
    }

    /** The sequences topic's partition 0, where the producer writes, in offset order. */
    private static List<String> sequencesInTopic(String bootstrap, String topic) {
        List<String> lines = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(bootstrap, topic, Duration.ofSeconds(60))) {
            assertEquals(0, r.partition(), "every sequence in partition 0");
            lines.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** Writes the lines into partition 0 at {@link #RATE} a second, on through broker restarts (idempotent, in order). */
    private static final class Producer implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Thread thread;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicLong sent = new AtomicLong();
        private volatile Exception failed;

        Producer(String bootstrap, String topic, List<String> lines) {
            Properties p = KafkaClients.producerProps(bootstrap);
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
            producer = new KafkaProducer<>(p);
            thread = new Thread(() -> {
                long period = 1_000_000_000L / RATE;
                long next = System.nanoTime();
                for (int k = 0; k < lines.size() && !stop.get(); k++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, lines.get(k).getBytes(StandardCharsets.UTF_8)),
                            (metadata, e) -> {
                                if (e == null) {
                                    acknowledged.incrementAndGet();
                                } else {
                                    failed = e;
                                }
                            });
                    sent.incrementAndGet();
                    next += period;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "chaos-soak producer");
            thread.start();
        }

        /** Stops writing and returns how many sequences were written, once every one is acknowledged. */
        long finish() throws Exception {
            stop.set(true);
            thread.join(Duration.ofMinutes(10).toMillis());
            producer.flush();
            if (failed != null) {
                throw new AssertionError("a sequence could not be written", failed);
            }
            assertEquals(sent.get(), acknowledged.get(), "every sequence sent was acknowledged");
            return acknowledged.get();
        }

        @Override
        public void close() {
            stop.set(true);
            thread.interrupt();
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** Every record of the parameters topic as it arrives, on through broker restarts. */
    private static final class VersionWatch implements AutoCloseable {
        private final List<ParameterVersion> versions = new CopyOnWriteArrayList<>();
        private final AtomicLong newest = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private volatile Exception failed;

        VersionWatch(String bootstrap, String topic, ParameterRecords records) {
            Properties client = new Properties();
            client.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            Properties p = KafkaClients.lookingConsumerProps(client);
            thread = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
                    TopicPartition partition = new TopicPartition(topic, 0);
                    consumer.assign(List.of(partition));
                    consumer.seekToBeginning(List.of(partition));
                    while (!stop.get()) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            ParameterVersion v = records.decode(r.value());
                            v.epoch = header(r, ParameterRecords.EPOCH_HEADER);
                            v.source = SourceRanges.parse(header(r, ParameterRecords.SOURCE_HEADER));
                            versions.add(v);
                            newest.accumulateAndGet(v.version, Math::max);
                        }
                    }
                } catch (Exception e) {
                    failed = e;
                }
            }, "chaos-soak versions");
            thread.start();
        }

        private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
            Header h = record.headers().lastHeader(key);
            return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }

        long newest() {
            check();
            return newest.get();
        }

        /** When the first version numbered above {@code above} published at or after {@code sinceMillis} was published; null if none yet. */
        Long firstPublishedAfter(long above, long sinceMillis) {
            check();
            return versions.stream().filter(v -> v.version > above && v.publishedAt >= sinceMillis)
                    .map(v -> v.publishedAt).min(Long::compare).orElse(null);
        }

        List<ParameterVersion> all() {
            check();
            return List.copyOf(versions);
        }

        private void check() {
            if (failed != null) {
                throw new AssertionError("reading the parameters topic failed", failed);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(5000);
        }
    }
}
