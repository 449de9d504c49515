package dev.unroll.deploy;

import dev.unroll.ExternalTools;
import dev.unroll.cli.Main;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The local cluster of {@code deploy/local} end to end, through its own scripts: a Kafka broker,
 * a JobManager and two TaskManagers, each its own JVM; the job jar submitted by Flink's
 * CliFrontend at parallelism 2; sequences written by kcat, a client that is not Java. It checks
 * that the job trains on both TaskManagers and that what it publishes is right: versions 1..K in
 * order, {@code sequencesTrained = batchSize * version}, and the last version equal to the offline
 * trainer's parameters on the same sequences (the sequences go to one partition, so batch k is
 * lines k*B .. k*B+B-1 as for {@code train}). Then, each in the middle of training, a TaskManager
 * running a bptt subtask, the JobManager (high availability: {@code UNROLL_HA=1}) and the broker
 * are killed with SIGKILL and started again, and the job still ends as {@code train}: the short
 * version of {@link ChaosSoak}. The cluster is always stopped, also on failure.
 * Needs kcat and curl on the PATH (skipped without them, except in CI: see ExternalTools), Maven (the scripts resolve the cluster's classpath) and the
 * packaged jars: failsafe runs it after {@code package}.
 */
class LocalClusterIT {
    private static final Path REPO = LocalCluster.REPO;
    private static final Path LOCAL = LocalCluster.LOCAL;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARALLELISM = 2;
    private static final int BATCH_SIZE = 32;
    private static final int BATCHES = 8;
    /** trained after the first checks for each fault, which comes part-way */
    private static final int BATCHES_PER_FAULT = 80;
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES) // a whole multi-process cluster: start, kill, restart
    void trainsAcrossTwoTaskManagersAsTheOfflineTrainerDoes() throws Exception {
        String kcat = ExternalTools.require("kcat", "-V");
        ExternalTools.require("curl", "--version");
        Path jobJar = REPO.resolve("target/unroll-job.jar");
        assertTrue(Files.isRegularFile(jobJar), "no " + jobJar + ": the job jar is built by `mvn package`");

        Path job = jobFile();
        JobConfig config = JobConfig.read(job);
        assertEquals(BATCH_SIZE, config.get(JobConfig.BATCH_SIZE), "batch size of " + job);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        Path sequences = dir.resolve("sequences.jsonl");
        Path trained = dir.resolve("train.json");
        assertEquals(0, Main.run("produce", "--job", job.toString(), "--out", sequences.toString(),
                "--count", Integer.toString(BATCH_SIZE * BATCHES), "--seed", "7", "--quiet"));
        assertEquals(0, Main.run("train", "--job", job.toString(), "--data", sequences.toString(),
                "--out", trained.toString(), "--quiet"));

        LocalCluster cluster = new LocalCluster(REPO.resolve("target/local-cluster-it"), jobJar, true);
        Thread stopOnExit = new Thread(cluster::stop);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        long started = System.nanoTime();
        try {
            String startOutput = cluster.script(START_TIMEOUT, "start.sh");
            assertTrue(startOutput.contains("taskmanagers:    2 x 1 slot(s)"), startOutput);
            String jobId = cluster.submit(job, PARALLELISM);
            // one partition: the source reads the file's order, so batches are the trainer's batches
            LocalCluster.run(Duration.ofSeconds(60), List.of(kcat, "-b", cluster.bootstrap(), "-P", "-t", topics.sequences(),
                    "-p", "0", "-l", sequences.toString()), Map.of());

            // the job writes its default (binary) records; decoded as any Java reader would
            Network initial = config.loadNetwork();
            List<ParameterVersion> versions = cluster.awaitVersions(topics.parameters(), jobId, BATCHES,
                    new ParameterRecords(initial, config.limits()));
            List<Long> numbers = versions.stream().map(v -> v.version).toList();
            assertEquals(Stream.iterate(1L, v -> v + 1).limit(BATCHES).toList(), numbers, "versions in topic order");
            long previous = 0;
            for (ParameterVersion v : versions) {
                assertEquals(config.name(), v.job, "job of version " + v.version);
                assertEquals(BATCH_SIZE, v.batchSize, "batchSize of version " + v.version);
                assertEquals(BATCH_SIZE * v.version, v.sequencesTrained, "sequencesTrained of version " + v.version);
                assertTrue(Double.isFinite(v.batchLoss), "batchLoss of version " + v.version + ": " + v.batchLoss);
                assertTrue(!v.last, "a live job never marks a version last");
                assertTrue(v.publishedAt >= previous, "publishedAt of version " + v.version + " goes back");
                previous = v.publishedAt;
            }
            JsonNode expected = JSON.readTree(trained.toFile());
            JsonNode last = JSON.readTree(NetworkJson.write(
                    initial.withParameters(versions.get(versions.size() - 1).parameters()), null));
            TestSupport.assertSameParameters(expected, last);
            assertEquals(List.of(), KafkaClients.readAll(cluster.bootstrap(), topics.deadLetters(), Duration.ofSeconds(10)),
                    "dead letters");

            // the BPTT operator runs as 2 subtasks, one on each TaskManager
            JsonNode graph = cluster.rest("/jobs/" + jobId);
            assertEquals("RUNNING", graph.get("state").asText(), "job state");
            JsonNode bptt = null;
            for (JsonNode vertex : graph.get("vertices")) {
                if (vertex.get("name").asText().equals("bptt")) {
                    bptt = vertex;
                }
            }
            assertNotNull(bptt, "no vertex named bptt in " + graph.get("vertices"));
            assertEquals(PARALLELISM, bptt.get("parallelism").asInt(), "bptt parallelism");
            // the REST API serves a cached view of the job for a few seconds: ask until it shows the subtasks running
            JsonNode subtasks;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            do {
                subtasks = cluster.rest("/jobs/" + jobId + "/vertices/" + bptt.get("id").asText()).get("subtasks");
            } while (!allRunning(subtasks) && System.nanoTime() < deadline && sleep(500));
            assertEquals(PARALLELISM, subtasks.size(), "bptt subtasks: " + subtasks);
            Set<String> usedTaskManagers = new HashSet<>();
            for (JsonNode subtask : subtasks) {
                assertEquals("RUNNING", subtask.get("status").asText(), "bptt subtask " + subtask);
                usedTaskManagers.add(subtask.get("taskmanager-id").asText());
            }
            Set<String> taskManagers = new HashSet<>();
            cluster.rest("/taskmanagers").get("taskmanagers").forEach(tm -> taskManagers.add(tm.get("id").asText()));
            assertEquals(Set.of("taskmanager-1", "taskmanager-2"), taskManagers, "registered TaskManagers");
            assertEquals(taskManagers, usedTaskManagers, "TaskManagers running the bptt subtasks");
            // the web dashboard, and the job's metrics from the TaskManagers' Prometheus reporters
            assertTrue(cluster.get("/").contains("Apache Flink Web Dashboard"), "the dashboard at the REST port");
            String metrics = cluster.prometheus();
            assertTrue(metrics.contains("flink_taskmanager_job_task_operator_version{"), "no version gauge in the metrics");
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("flink_taskmanager_job_task_operator_sequencesTrained{")
                    && l.contains("operator_name=\"aggregate\"") && l.endsWith(" " + (double) (BATCHES * BATCH_SIZE))),
                    "sequencesTrained of the aggregator, " + BATCHES * BATCH_SIZE);
            assertTrue(metrics.contains("flink_taskmanager_job_task_operator_pendingRecords{"), "the sources' lag");
            System.out.printf("LocalClusterIT: %d versions from 2 TaskManagers, %.1f s from start.sh to the checks%n",
                    versions.size(), (System.nanoTime() - started) / 1e9);

            // then, each in the middle of training, a TaskManager running a bptt subtask and the JobManager are
            // killed with SIGKILL and started again as a supervisor would: the job resumes from its last
            // checkpoint each time (the JobManager's through ZooKeeper) and ends as `train`. The broker's death
            // is BrokerRestartTest's in the suite, and the chaos soak's with these two at random (minutes each)
            List<String> victims = List.of(subtasks.get(0).get("taskmanager-id").asText(), "jobmanager");
            List<String> lines = new ArrayList<>(Files.readAllLines(sequences));
            ParameterRecords records = new ParameterRecords(initial, config.limits());
            long target = BATCHES;
            ParameterVersion resumed = null;
            for (int k = 0; k < victims.size(); k++) {
                String victim = victims.get(k);
                Path more = dir.resolve("more-" + k + ".jsonl");
                assertEquals(0, Main.run("produce", "--job", job.toString(), "--out", more.toString(),
                        "--count", Integer.toString(BATCH_SIZE * BATCHES_PER_FAULT), "--seed", Integer.toString(8 + k), "--quiet"));
                lines.addAll(Files.readAllLines(more));
                LocalCluster.run(Duration.ofSeconds(60), List.of(kcat, "-b", cluster.bootstrap(), "-P", "-t", topics.sequences(),
                        "-p", "0", "-l", more.toString()), Map.of());
                long newest = cluster.awaitVersion(topics.parameters(), target + 1, records).version;
                assertTrue(newest < target + BATCHES_PER_FAULT, victim + " killed before the end of its batches: version " + newest);
                cluster.kill(victim);
                cluster.restart(victim);
                // Flink can take the other TaskManager down too: a task cancelled while its input from the
                // killed one breaks may fail again in its own exception handler, which Flink treats as fatal
                // (seen once in CI: "FATAL - exception in exception handler of task bptt", exit code 1). A
                // supervisor (Kubernetes, systemd) starts it again; so does this test, and says so.
                for (String other : taskManagers) {
                    if (!cluster.alive(other)) {
                        System.out.printf("LocalClusterIT: %s exited after %s was killed; starting it again%n", other, victim);
                        cluster.restart(other);
                    }
                }
                target += BATCHES_PER_FAULT;
                resumed = cluster.awaitVersion(topics.parameters(), target, records);
                assertEquals(target * BATCH_SIZE, resumed.sequencesTrained, "each sequence once, after " + victim + " was killed");
                System.out.printf("LocalClusterIT: %s killed at version %d; resumed to version %d%n", victim, newest, resumed.version);
            }
            Path all = dir.resolve("all.jsonl");
            Files.write(all, lines);
            assertEquals(0, Main.run("train", "--job", job.toString(), "--data", all.toString(),
                    "--out", trained.toString(), "--quiet"));
            TestSupport.assertSameParameters(JSON.readTree(trained.toFile()),
                    JSON.readTree(NetworkJson.write(initial.withParameters(resumed.parameters()), null)));
            assertEquals("RUNNING", cluster.rest("/jobs/" + jobId).get("state").asText(), "job state after the faults");
            System.out.printf("LocalClusterIT: version %d after the faults equals train%n", resumed.version);
        } catch (Throwable t) {
            cluster.printLogs();
            throw t;
        } finally {
            cluster.stop();
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
    }

    /** The bench job, renamed so its topics are the test's own, beside its network. */
    private Path jobFile() throws IOException {
        Path bench = LOCAL.resolve("bench");
        Files.copy(bench.resolve("adder64.network.json"), dir.resolve("adder64.network.json"));
        String yaml = Files.readString(bench.resolve("adder64.yaml"));
        assertTrue(yaml.contains("\nname: adder64\n"), "deploy/local/bench/adder64.yaml names its job adder64");
        Path job = dir.resolve("cluster-it.yaml");
        assertTrue(yaml.contains("\nstream:\n"), "deploy/local/bench/adder64.yaml has a stream section");
        // checkpoints often enough that one is taken between the first checks and the TaskManager's death
        Files.writeString(job, yaml.replace("\nname: adder64\n", "\nname: cluster-it\n")
                .replace("\nstream:\n", "\nstream:\n  checkpointIntervalMs: 300\n"));
        return job;
    }

    private static boolean allRunning(JsonNode subtasks) {
        for (JsonNode subtask : subtasks) {
            if (!subtask.get("status").asText().equals("RUNNING")) {
                return false;
            }
        }
        return true;
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }
}
