package dev.unroll.stream;

import dev.unroll.model.TestSupport;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

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
