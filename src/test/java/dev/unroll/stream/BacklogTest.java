package dev.unroll.stream;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.format.SequenceJson;
import dev.unroll.model.Trainer;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A topic that already holds a large backlog when the job starts: the job reads only as fast as
 * it trains, so its checkpointed state stays a few batches however long the backlog, every
 * checkpoint completes, and the result is the offline trainer's.
 */
class BacklogTest extends BrokerTestBase {
    private static final int BACKLOG = 20_000;
    /** The backlog's records take about 6 MB; the state may not hold more than a few batches of them. */
    private static final long MAX_STATE_BYTES = 256 * 1024;

    @Test
    void aLargeBacklogStaysInKafkaAndEveryCheckpointCompletes() throws Exception {
        JobConfig config = job("backlog", "j2-tanh-b7", "training:\n  batchSize: 8\n  learningRate: 0.05\n"
                + "  staleness: 2\nstream:\n  checkpointIntervalMs: 100\n  checkpointDir: " + dir.resolve("chk").toUri() + "\n");
        Network net = config.loadNetwork();
        List<String> lines = RandomSequences.jsonLines(net, 5, BACKLOG);
        Path data = dir.resolve("backlog.jsonl");
        Files.write(data, lines);
        assertTrue(Files.size(data) > 20 * MAX_STATE_BYTES, "the backlog is far larger than the state allowed");
        Trainer reference = config.trainer(net);
        for (String line : lines) {
            reference.add(SequenceJson.parse(line, "data", net, config.limits()));
        }
        reference.finish();

        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        broker.createTopic(topics.sequences(), 1);
        FilePublisher.publishLines(kafka.producerProperties(), topics.sequences(), data);

        int restPort = LoopbackPorts.free();
        Configuration rest = new Configuration();
        rest.set(RestOptions.BIND_PORT, Integer.toString(restPort));
        rest.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 100_000);
        JsonNode stats = null;
        ParameterVersion newest = null;
        try (Pipeline pipeline = Pipeline.start(LocalFlink.create(2, rest), TrainingSpec.of(config, net, 2), kafka, topics, 1,
                Pipeline.Options.live(config))) {
            String checkpoints = "http://127.0.0.1:" + restPort + "/jobs/" + pipeline.client().getJobID() + "/checkpoints";
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while ((newest == null || newest.sequencesTrained < BACKLOG) && System.nanoTime() < deadline) {
                newest = pipeline.follow(v -> { }, Duration.ofMillis(300));
            }
            // the statistics the REST API serves are cached for a few seconds
            Thread.sleep(4000);
            stats = get(checkpoints);
        }
        assertEquals(BACKLOG, newest.sequencesTrained, "every sequence trained once");
        assertEquals(reference.version(), newest.version);
        RecoveryTest.assertClose(reference.network().parameters().weights, newest.weights, "weights");
        RecoveryTest.assertClose(reference.network().parameters().initialState, newest.initialState, "initialState");
        // "failed" in the counts also holds triggers refused while the tasks were still being deployed
        List<JsonNode> history = new ArrayList<>();
        stats.get("history").forEach(history::add);
        assertTrue(history.size() >= 5, "checkpoints were taken while the backlog drained: " + stats.get("counts"));
        for (JsonNode checkpoint : history) {
            String status = checkpoint.get("status").asText();
            assertTrue(status.equals("COMPLETED") || status.equals("IN_PROGRESS"), "checkpoint " + checkpoint);
        }
        long maxState = stats.at("/summary/checkpointed_size/max").asLong();
        assertTrue(maxState > 0 && maxState <= MAX_STATE_BYTES, "the largest checkpoint held " + maxState + " bytes");
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), url + ": " + response.body());
        return new ObjectMapper().readTree(response.body());
    }

}
