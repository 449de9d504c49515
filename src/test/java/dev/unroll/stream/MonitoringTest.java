package dev.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.TrainingSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the embedded default shows outside the process, on a real broker and MiniCluster: Flink's
 * web dashboard and REST API at the chosen port (the job graph's operators as docs/architecture.md draws
 * them), and, with {@code metrics.prometheusPort}, a Prometheus endpoint carrying the job's own
 * metrics and the consumer lag of the sequences topic.
 */
class MonitoringTest extends BrokerTestBase {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void dashboardPortFallsBackToAFreeOneWhenTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            LocalFlink.Monitoring m = LocalFlink.Monitoring.choose(taken.getLocalPort(), 0);
            assertNotEquals(taken.getLocalPort(), m.dashboardPort());
            assertTrue(m.dashboardPort() > 0);
            assertEquals(null, m.metricsUrl());
        }
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = probe.getLocalPort();
        }
        assertEquals(free, LocalFlink.Monitoring.choose(free, 0).dashboardPort(), "a free wanted port is kept");
        // the tests themselves never take 8081 (pom.xml sets unroll.dashboard.port=0 for them)
        assertEquals("0", System.getProperty(LocalFlink.DASHBOARD_PORT_PROPERTY));
    }

    @Test
    void dashboardAndPrometheusShowTheRunningJob() throws Exception {
        int prometheusPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            prometheusPort = probe.getLocalPort();
        }
        JobConfig config = job("watched", "j2-tanh-b7", "training:\n  batchSize: 7\n  learningRate: 0.3\n"
                + "topics:\n  partitions: 1\nmetrics:\n  prometheusPort: " + prometheusPort + "\n");
        LocalFlink.Monitoring monitoring = LocalFlink.Monitoring.choose(config.get(JobConfig.PROMETHEUS_PORT));
        assertEquals("http://127.0.0.1:" + prometheusPort + "/metrics", monitoring.metricsUrl());

        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        TrainingSpec spec = TrainingSpec.forJob(config, config.loadNetwork(), null);
        try (Pipeline pipeline = Pipeline.start(LocalFlink.create(spec.shards(), monitoring.configuration()), spec, kafka,
                topics, 1, Pipeline.Options.live(config))) {
            Path data = TestSupport.examples().resolve("training/j2-tanh-b7/data.jsonl");
            FilePublisher.publishLines(kafka.producerProperties(), topics.sequences(), data);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
                producer.send(new ProducerRecord<>(topics.sequences(), "not json".getBytes(StandardCharsets.UTF_8))).get();
            }
            ParameterVersion newest = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while ((newest == null || newest.sequencesTrained < 28) && System.nanoTime() < deadline) {
                newest = pipeline.follow(v -> { }, Duration.ofMillis(200));
            }
            assertTrue(newest != null && newest.version == 4, "4 versions of 7 sequences: " + (newest == null ? null : newest.version));

            // the dashboard is served, and the REST API shows the job graph
            String index = get(monitoring.dashboardUrl());
            assertTrue(index.contains("Apache Flink Web Dashboard"), index);
            String jobId = pipeline.client().getJobID().toHexString();
            JsonNode job = new ObjectMapper().readTree(get(monitoring.dashboardUrl() + "jobs/" + jobId));
            assertEquals("unroll watched", job.get("name").asText());
            Set<String> vertices = new TreeSet<>();
            job.get("vertices").forEach(v -> vertices.add(v.get("name").asText() + " | parallelism " + v.get("parallelism").asInt()
                    + " | " + v.get("status").asText()));
            // docs/architecture.md's training operators (number, decode, batcher, bptt, aggregate), the prediction path, and the Kafka
            // sources and sinks, as Flink chains them
            assertEquals(new TreeSet<>(List.of(
                    "Source: sequences -> number | parallelism 1 | RUNNING",
                    "decode | parallelism " + spec.shards() + " | RUNNING",
                    "Source: requests | parallelism " + spec.shards() + " | RUNNING",
                    "Source: serving versions -> check version signatures -> version dead letters: Writer"
                            + " -> version dead letters: Committer | parallelism 1 | RUNNING",
                    "predict -> (predictions: Writer -> predictions: Committer, prediction dead letters: Writer"
                            + " -> prediction dead letters: Committer) | parallelism " + spec.shards() + " | RUNNING",
                    "batcher | parallelism 1 | RUNNING",
                    "bptt | parallelism " + spec.shards() + " | RUNNING",
                    "aggregate -> publish parameters: Writer -> publish parameters: Committer | parallelism 1 | RUNNING",
                    "dead letters: Writer -> dead letters: Committer | parallelism 1 | RUNNING")), vertices);
            JsonNode plan = new ObjectMapper().readTree(get(monitoring.dashboardUrl() + "jobs/" + jobId + "/plan"));
            assertEquals(vertices.size(), plan.at("/plan/nodes").size(), plan.toPrettyString());

            // Prometheus: the job's own metrics, and the lag of the sequences topic
            String metrics = awaitMetrics(monitoring.metricsUrl(), List.of("_version", "_batchLoss", "_staleness",
                    "_sequencesTrained", "_deadLetters", "_sequencesAccepted", "records_lag_max", "pendingRecords",
                    "_versionsInProcess", "_versionsFromTopic"));
            assertEquals(4.0, value(metrics, "flink_taskmanager_job_task_operator_version", "aggregate"), metrics);
            assertEquals(28.0, value(metrics, "flink_taskmanager_job_task_operator_sequencesTrained", "aggregate"));
            assertEquals(1.0, value(metrics, "flink_taskmanager_job_task_operator_deadLetters", "decode"));
            assertEquals(30.0, value(metrics, "flink_taskmanager_job_task_operator_sequencesAccepted", "decode"));
            assertTrue(value(metrics, "flink_taskmanager_job_task_operator_batchLoss", "aggregate") > 0);
            assertEquals(0.0, value(metrics, "flink_taskmanager_job_task_operator_staleness", "aggregate"));
            // every BPTT instance took versions 1, 2 and 3: in memory beside the aggregator, or from the topic
            // until the aggregator had opened
            assertEquals(3.0 * spec.shards(), value(metrics, "flink_taskmanager_job_task_operator_versionsInProcess", "bptt")
                    + value(metrics, "flink_taskmanager_job_task_operator_versionsFromTopic", "bptt"), metrics);
            // the sequences topic's consumer lag: Flink's standard pendingRecords (the consumer's records-lag of the
            // reader's partitions) and the consumer's own records-lag-max; all 31 records are read by now
            assertEquals(0.0, value(metrics, "flink_taskmanager_job_task_operator_pendingRecords", "Source:_sequences"));
            assertEquals(0.0, value(metrics, "flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max",
                    "Source:_sequences"));
            assertEquals(30.0, value(metrics, "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset",
                    "Source:_sequences"));
        }
    }

    /** The metric summed over the operator's subtasks (decode runs at P). */
    private static double value(String metrics, String name, String operator) {
        double sum = 0;
        boolean found = false;
        for (String line : metrics.lines().toList()) {
            if (line.startsWith(name + "{") && line.contains("operator_name=\"" + operator + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no " + name + " for operator " + operator + " in:\n" + names(metrics));
        }
        return sum;
    }

    private static String names(String metrics) {
        TreeSet<String> names = new TreeSet<>();
        metrics.lines().filter(l -> !l.startsWith("#")).forEach(l -> names.add(l.split("[{ ]")[0]));
        return String.join("\n", names);
    }

    private static String awaitMetrics(String url, List<String> wanted) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            body = get(url);
            String text = body;
            if (wanted.stream().allMatch(w -> text.contains(w))) {
                return body;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("missing some of " + wanted + " in:\n" + names(body));
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return r.body();
    }
}
