package dev.unroll.tool;

import dev.unroll.job.JobConfig;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.format.Json;
import dev.unroll.format.SequenceJson;
import dev.unroll.task.Task;
import dev.unroll.task.Tasks;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures a running job's prediction path from outside it, as a client would (run it in its own
 * process, beside {@code run} or {@code serve}):
 * <ul>
 * <li>{@code --rate R}: sends the job's task sequences as requests at R per second for
 * {@code --seconds}, and times each from just before it is sent to when its prediction is read
 * back; prints the percentiles after {@code --warmup} seconds.
 * <li>{@code --count N}: waits until the predictions topic holds N predictions and prints the rate
 * at which the job wrote them (from the records' timestamps), over the middle 80% so that the
 * start and the tail of a backlog do not count.
 * </ul>
 */
@Command(name = "predict-bench", description = "A load tool for bench/predict.sh: latency (produce -> prediction) at a given request rate, or the rate at which a backlog of requests was answered.")
public final class PredictBenchCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, description = "the job file (YAML) with a task section")
    Path job;

    @Option(names = "--bootstrap-servers", required = true, description = "the Kafka the job serves on")
    String bootstrap;

    static final class Mode {
        @Option(names = "--rate", required = true, description = "latency: requests per second to send")
        Integer rate;

        @Option(names = "--count", required = true, description = "throughput: predictions to wait for on the topic")
        Long count;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--train-rate", description = "latency: also send this many of the task's sequences per second to the"
            + " sequences topic, to train on while requests are timed (default ${DEFAULT-VALUE})")
    int trainRate = 0;

    @Option(names = "--seconds", description = "latency: how long to send (default ${DEFAULT-VALUE})")
    int seconds = 30;

    @Option(names = "--warmup", description = "latency: seconds at the start left out of the figures (default ${DEFAULT-VALUE})")
    int warmup = 5;

    @Option(names = "--trace", description = "latency: also write one line per answered request: seconds since the start, latency in ms, ms from the send to the prediction's record timestamp, ms from the send to the broker's acknowledgement")
    Path trace;

    @Option(names = "--seed", description = "seed of the requests (default ${DEFAULT-VALUE})")
    long seed = 7;

    @Option(names = "--timeout", description = "seconds to wait for predictions (default ${DEFAULT-VALUE})")
    int timeout = 120;

    /** the job's client settings for the servers given */
    private KafkaConnectors kafka;

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.read(job);
        kafka = KafkaConnectors.of(bootstrap, config);
        String topic = config.get(JobConfig.PREDICTIONS_TOPIC);
        Map<String, Object> out = mode.rate != null ? latency(config, topic) : throughput(topic);
        System.out.println(Json.write(out));
        return 0;
    }

    private Map<String, Object> latency(JobConfig config, String topic) throws Exception {
        Task task = Tasks.fromJob(config, config.loadNetwork());
        String prefix = "bench-" + System.currentTimeMillis();
        Iterator<dev.unroll.model.Sequence> requests = Tasks.generator(task, seed, prefix);
        // {nanoTime, wall-clock ms} at send, the nanoTime the request was due (its place in the schedule), and the
        // nanoTime the broker's acknowledgement of the request reached the client
        Map<String, long[]> sentAt = new ConcurrentHashMap<>();
        List<Timed> timed = new ArrayList<>();
        long[] answered = new long[1];
        try (KafkaConsumer<byte[], byte[]> consumer = atEnd(topic);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            AtomicBoolean done = new AtomicBoolean();
            Thread reader = new Thread(() -> {
                while (!done.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                        long now = System.nanoTime();
                        long[] sent = sentAt.remove(idOf(r));
                        if (sent != null) {
                            synchronized (timed) {
                                timed.add(new Timed(sent, now - sent[0], r.timestamp() - sent[1]));
                                answered[0]++;
                            }
                        }
                    }
                }
            }, "predict-bench-reader");
            reader.start();
            long period = 1_000_000_000L / mode.rate;
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            Thread trainer = trainRate <= 0 ? null : new Thread(() -> {
                Iterator<dev.unroll.model.Sequence> training = Tasks.generator(task, seed + 1, null);
                String sequencesTopic = config.get(JobConfig.SEQUENCES_TOPIC);
                for (long next = start; next < end; next += 1_000_000_000L / trainRate) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    producer.send(new ProducerRecord<>(sequencesTopic,
                            SequenceJson.write(training.next()).getBytes(StandardCharsets.UTF_8)));
                }
            }, "predict-bench-trainer");
            if (trainer != null) {
                trainer.start();
            }
            String requestTopic = config.get(JobConfig.REQUESTS_TOPIC);
            long sent = 0;
            for (long next = start; next < end; next += period) {
                LockSupport.parkNanos(next - System.nanoTime());
                dev.unroll.model.Sequence seq = requests.next();
                byte[] value = SequenceJson.write(seq).getBytes(StandardCharsets.UTF_8);
                long[] at = {System.nanoTime(), System.currentTimeMillis(), next, 0};
                sentAt.put(seq.id(), at);
                producer.send(new ProducerRecord<>(requestTopic, seq.id().getBytes(StandardCharsets.UTF_8), value),
                        (metadata, e) -> at[3] = System.nanoTime());
                sent++;
            }
            if (trainer != null) {
                trainer.join();
            }
            long deadline = System.nanoTime() + timeout * 1_000_000_000L;
            while (!sentAt.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            done.set(true);
            reader.join(10_000);
            producer.flush(); // every acknowledgement's callback has run
            DescriptiveStatistics ms = new DescriptiveStatistics();
            DescriptiveStatistics toJob = new DescriptiveStatistics();
            DescriptiveStatistics toAck = new DescriptiveStatistics();
            long from = start + warmup * 1_000_000_000L;
            StringBuilder lines = new StringBuilder();
            synchronized (timed) {
                for (Timed t : timed) {
                    // warm-up by schedule, not by when the send happened: a busy machine sends late, not more
                    if (t.sent()[2] >= from) {
                        ms.addValue(t.latencyNanos() / 1e6);
                        toJob.addValue(t.toPredictionMillis());
                        toAck.addValue(t.toAckNanos() / 1e6);
                    }
                    lines.append(String.format(java.util.Locale.ROOT, "%.4f %.3f %d %.3f%n", (t.sent()[0] - start) / 1e9,
                            t.latencyNanos() / 1e6, t.toPredictionMillis(), t.toAckNanos() / 1e6));
                }
            }
            if (trace != null) {
                java.nio.file.Files.writeString(trace, lines);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", "latency");
            m.put("rate", mode.rate);
            m.put("trainRate", trainRate);
            m.put("seconds", seconds);
            m.put("warmupSeconds", warmup);
            m.put("sent", sent);
            m.put("answered", answered[0]);
            m.put("measured", ms.getN());
            m.put("p50Ms", round(ms.getPercentile(50)));
            m.put("p99Ms", round(ms.getPercentile(99)));
            m.put("maxMs", round(ms.getMax()));
            // the job's part: from the send to the sink's producer stamping the prediction (1 ms clock)
            m.put("toPredictionP50Ms", round(toJob.getPercentile(50)));
            m.put("toPredictionP99Ms", round(toJob.getPercentile(99)));
            // of which the way in: from the send to the broker's acknowledgement (the client's producer and the broker)
            m.put("toAckP50Ms", round(toAck.getPercentile(50)));
            m.put("toAckP99Ms", round(toAck.getPercentile(99)));
            m.put("sentPerSecond", round(sent / ((end - start) / 1e9)));
            return m;
        }
    }

    /** One answered request: its send stamps (see {@code sentAt}), its latency, and ms to the prediction's timestamp. */
    private record Timed(long[] sent, long latencyNanos, long toPredictionMillis) {
        long toAckNanos() {
            return sent[3] - sent[0];
        }
    }

    private Map<String, Object> throughput(String topic) throws Exception {
        DescriptiveStatistics stamps = new DescriptiveStatistics();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout * 1_000_000_000L;
            while (stamps.getN() < mode.count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    stamps.addValue(r.timestamp());
                }
            }
        }
        if (stamps.getN() < mode.count) {
            throw new IllegalStateException("only " + stamps.getN() + " of " + mode.count + " predictions on " + topic
                    + " after " + timeout + " s");
        }
        double from = stamps.getPercentile(10);
        double to = stamps.getPercentile(90);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "throughput");
        m.put("predictions", stamps.getN());
        m.put("seconds", round((stamps.getMax() - stamps.getMin()) / 1e3));
        m.put("predictionsPerSecond", round(0.8 * stamps.getN() / ((to - from) / 1e3)));
        return m;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = kafka.consumerProperties();
        p.remove("group.id");
        p.put("enable.auto.commit", "false");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A consumer of every partition of the topic, past what it holds now. */
    private KafkaConsumer<byte[], byte[]> atEnd(String topic) {
        KafkaConsumer<byte[], byte[]> consumer = consumer();
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // seek now, not at the first poll, which may come after a prediction
        return consumer;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("no topic " + topic + ": is the job serving?");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    /**
     * The request a prediction answers: its Kafka key, which the job copies from the request (the
     * request's id, as sent here). Reading the key, not the JSON, keeps the client's own work and
     * garbage (its GC pauses count in every latency) small.
     */
    private static String idOf(ConsumerRecord<byte[], byte[]> prediction) {
        return prediction.key() == null ? "" : new String(prediction.key(), StandardCharsets.UTF_8);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
