package dev.unroll.stream;

import dev.unroll.job.JobConfig;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Sgd;
import dev.unroll.model.TestSupport;
import dev.unroll.model.Trainer;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The broker stopped and restarted under a running job: training resumes and nothing is lost or counted twice. */
class BrokerRestartTest {
    @TempDir
    Path dir;

    @Test
    void trainingSurvivesABrokerRestart() throws Exception {
        Files.copy(TestSupport.examples().resolve("training").resolve("j3-tied-b16").resolve("network.json"), dir.resolve("network.json"));
        Path jobFile = dir.resolve("restart.yaml");
        Files.writeString(jobFile, "name: restart\nnetwork: network.json\ntraining:\n  batchSize: 5\n"
                + "stream:\n  checkpointIntervalMs: 500\ntopics:\n  partitions: 1\n");
        JobConfig config = JobConfig.read(jobFile);
        Network net = config.loadNetwork();
        List<String> lines = RandomSequences.jsonLines(net, 3, 40);
        Trainer reference = new Trainer(net, new Sgd(config.sgdSettings()), 5);
        for (String line : lines) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
        }
        Parameters expected = reference.finish().parameters();

        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 20);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka-data"), 0)) {
            KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            try (Pipeline pipeline = Pipeline.start(LocalFlink.create(2, restart), TrainingSpec.of(config, net, 2), kafka,
                    topics, 1, Pipeline.Options.live(config))) {
                send(broker, topics.sequences(), lines.subList(0, 20));
                await(pipeline, 20);

                broker.stop();
                Thread.sleep(3000);
                broker.restart();

                send(broker, topics.sequences(), lines.subList(20, 40));
                ParameterVersion last = await(pipeline, 40);
                assertEquals(8, last.version);
                RecoveryTest.assertClose(expected.weights, last.weights, "weights");
                RecoveryTest.assertClose(expected.biases, last.biases, "biases");
                RecoveryTest.assertClose(expected.initialState, last.initialState, "initialState");
            }
        }
    }

    private static void send(EmbeddedKafka broker, String topic, List<String> lines) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            for (String line : lines) {
                producer.send(new ProducerRecord<>(topic, 0, null, line.getBytes(StandardCharsets.UTF_8))).get();
            }
        }
    }

    private static ParameterVersion await(Pipeline pipeline, long sequences) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        ParameterVersion newest = pipeline.newest();
        while ((newest == null || newest.sequencesTrained < sequences) && System.nanoTime() < deadline) {
            newest = pipeline.follow(v -> { }, Duration.ofMillis(200));
        }
        assertNotNull(newest);
        assertEquals(sequences, newest.sequencesTrained, "sequences trained");
        return newest;
    }
}
