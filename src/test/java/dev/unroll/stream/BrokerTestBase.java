package dev.unroll.stream;

import dev.unroll.model.TestSupport;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/** One real embedded KRaft broker per test class, and job files written into the test's own folder. */
abstract class BrokerTestBase {
    static EmbeddedKafka broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    /**
     * Empties the test's folder before JUnit deletes it. A MiniCluster shuts down after its job ends
     * and may go on writing or discarding checkpoint files in the folder for a moment; JUnit's own
     * deletion then failed now and then (DirectoryNotEmptyException on a checkpoint directory).
     * Whatever is still there after 15 s is left for JUnit to report.
     */
    @AfterEach
    void emptyTheFolderOnceFlinkHasLetGo() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        do {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // a file went away while walking: look again
            }
            Thread.sleep(200);
        } while (!isEmpty(dir) && System.nanoTime() < deadline);
    }

    private static boolean isEmpty(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** At least {@code count} records of {@code topic}, waiting up to 90 s for them (fewer when they do not come). */
    static List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int count) throws InterruptedException {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        return KafkaClients.readAtLeast(p, topic, count, Duration.ofSeconds(90));
    }

    /** A job named {@code name} on the network of a shared training example, with the given YAML after the name. */
    JobConfig job(String name, String example, String yaml) throws Exception {
        Path network = dir.resolve("network.json");
        if (!Files.exists(network)) {
            Files.copy(TestSupport.examples().resolve("training").resolve(example).resolve("network.json"), network);
        }
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, "name: " + name + "\nnetwork: network.json\n" + yaml);
        return JobConfig.read(file);
    }
}
