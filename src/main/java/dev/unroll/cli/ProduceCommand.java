package dev.unroll.cli;

import dev.unroll.io.AtomicFile;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.SequenceFeeder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Generates a job's task sequences ({@code task.*} of the job file) into a {@code .jsonl} file or
 * the job's sequences topic. Sequence k of seed S is the same wherever it goes: the file gets
 * {@code SequenceJson.write} lines, Kafka the same sequence in the job's {@code stream.sequenceFormat}
 * (those bytes, or single-object Avro) keyed by the sequence's {@code key} when it has one (per-key
 * tasks) and by its id ({@code NAME-S-k}) otherwise. Every sequence is checked against the job's
 * network before it is written.
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
        GeneratedSequences lines = new GeneratedSequences(config, config.loadNetwork(), seed);
        Progress progress = new Progress("produce", quiet);
        if (destination.out != null) {
            writeFile(destination.out, lines, progress);
        } else {
            writeKafka(config, destination.bootstrap, config.inputTopic(), lines, progress);
        }
        if (!quiet) {
            progress.counted(count, count, destination.out != null ? "to " + destination.out
                    : "to topic " + config.inputTopic() + " at " + destination.bootstrap);
        }
        return 0;
    }

    private void writeFile(Path out, GeneratedSequences lines, Progress progress) throws IOException {
        AtomicFile.write(out, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (long k = 0; k < count; k++) {
                    w.write(lines.next().json());
                    w.write('\n');
                    if (count >= PROGRESS_FROM) {
                        progress.count(k + 1, count);
                    }
                }
            }
        });
    }

    private void writeKafka(JobConfig config, String bootstrap, String topic, GeneratedSequences lines, Progress progress)
            throws InterruptedException {
        KafkaConnectors kafka = KafkaConnectors.of(bootstrap, config);
        kafka.requireReachable();
        kafka.ensureTopic(topic, config.get(JobConfig.PARTITIONS));
        try (SequenceFeeder feeder = new SequenceFeeder(kafka.bulkProducerProperties(), topic, lines.records(), Long.MAX_VALUE, count, 0)) {
            while (!feeder.awaitLimit(Duration.ofMillis(200))) {
                if (count >= PROGRESS_FROM) {
                    progress.count(feeder.produced(), count);
                }
            }
        }
    }
}
