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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * lines k*B .. k*B+B-1 as for {@code train}). The cluster is always stopped, also on failure.
 * Needs kcat and curl on the PATH (skipped without them, except in CI: see ExternalTools), Maven (the scripts resolve the cluster's classpath) and the
 * packaged jars: failsafe runs it after {@code package}.
 */
class LocalClusterIT {
    private static final Path REPO = Path.of("").toAbsolutePath();
    private static final Path LOCAL = REPO.resolve("deploy/local");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARALLELISM = 2;
    private static final int BATCH_SIZE = 32;
    private static final int BATCHES = 8;
    /** trained after the first checks, with a TaskManager killed part-way */
    private static final int LATER_BATCHES = 200;
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration TRAIN_TIMEOUT = Duration.ofMinutes(2);

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

        Cluster cluster = new Cluster(REPO.resolve("target/local-cluster-it"), jobJar);
        Thread stopOnExit = new Thread(cluster::stop);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        long started = System.nanoTime();
        try {
            String startOutput = cluster.script(START_TIMEOUT, "start.sh");
            assertTrue(startOutput.contains("taskmanagers:    2 x 1 slot(s)"), startOutput);
            String jobId = cluster.submit(job, PARALLELISM);
            // one partition: the source reads the file's order, so batches are the trainer's batches
            run(Duration.ofSeconds(60), List.of(kcat, "-b", cluster.bootstrap(), "-P", "-t", topics.sequences(),
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

            // a TaskManager running a bptt subtask is killed in the middle of training: the job waits for slots,
            // and once the TaskManager is started again it resumes from its last checkpoint and ends as `train`
            String victim = subtasks.get(0).get("taskmanager-id").asText();
            Path more = dir.resolve("more.jsonl");
            Path all = dir.resolve("all.jsonl");
            assertEquals(0, Main.run("produce", "--job", job.toString(), "--out", more.toString(),
                    "--count", Integer.toString(BATCH_SIZE * LATER_BATCHES), "--seed", "8", "--quiet"));
            Files.write(all, Stream.concat(Files.readAllLines(sequences).stream(), Files.readAllLines(more).stream()).toList());
            assertEquals(0, Main.run("train", "--job", job.toString(), "--data", all.toString(),
                    "--out", trained.toString(), "--quiet"));
            run(Duration.ofSeconds(60), List.of(kcat, "-b", cluster.bootstrap(), "-P", "-t", topics.sequences(),
                    "-p", "0", "-l", more.toString()), Map.of());
            ParameterRecords records = new ParameterRecords(initial, config.limits());
            long newest = cluster.awaitVersion(topics.parameters(), BATCHES + 1, records).version;
            assertTrue(newest < BATCHES + LATER_BATCHES, "killed before the end of training: version " + newest);
            cluster.kill(victim);
            Thread.sleep(3000);
            JsonNode afterKill = cluster.rest("/jobs/" + jobId);
            assertTrue(!afterKill.get("state").asText().equals("FAILED"), "the job waits for slots: " + afterKill.get("state"));
            cluster.script(START_TIMEOUT, "taskmanager.sh", victim.substring(victim.lastIndexOf('-') + 1));
            // Flink can take the other TaskManager down too: a task cancelled while its input from the
            // killed one breaks may fail again in its own exception handler, which Flink treats as fatal
            // (seen once in CI: "FATAL - exception in exception handler of task bptt", exit code 1). A
            // supervisor (Kubernetes, systemd) starts it again; so does this test, and says so.
            for (String other : taskManagers) {
                if (!other.equals(victim) && !cluster.alive(other)) {
                    System.out.printf("LocalClusterIT: %s exited after %s was killed; starting it again%n", other, victim);
                    cluster.script(START_TIMEOUT, "taskmanager.sh", other.substring(other.lastIndexOf('-') + 1));
                }
            }
            ParameterVersion resumed = cluster.awaitVersion(topics.parameters(), BATCHES + LATER_BATCHES, records);
            assertEquals((BATCHES + LATER_BATCHES) * BATCH_SIZE, resumed.sequencesTrained, "each sequence once");
            TestSupport.assertSameParameters(JSON.readTree(trained.toFile()),
                    JSON.readTree(NetworkJson.write(initial.withParameters(resumed.parameters()), null)));
            assertEquals("RUNNING", cluster.rest("/jobs/" + jobId).get("state").asText(), "job state after the TaskManager came back");
            System.out.printf("LocalClusterIT: %s killed at version %d; resumed to version %d, equal to train%n",
                    victim, newest, resumed.version);
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

    /** Runs a command, returning its output; fails on a non-zero exit or after {@code timeout}. */
    private static String run(Duration timeout, List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("local-cluster-it", ".out");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(log);
            System.out.print(out);
            if (!done) {
                fail(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The scripts of deploy/local, pointed at a run dir of the test's own and at free ports. */
    private static final class Cluster {
        private final Path runDir;
        private final Map<String, String> env = new HashMap<>();
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private boolean stopped;

        Cluster(Path runDir, Path jobJar) throws IOException {
            this.runDir = runDir;
            int[] ports = freePorts(7);
            env.put("UNROLL_RUN_DIR", runDir.toString());
            env.put("UNROLL_KAFKA_PORT", Integer.toString(ports[0]));
            env.put("UNROLL_KAFKA_CONTROLLER_PORT", Integer.toString(ports[1]));
            env.put("UNROLL_FLINK_REST_PORT", Integer.toString(ports[2]));
            env.put("UNROLL_FLINK_RPC_PORT", Integer.toString(ports[3]));
            env.put("UNROLL_TASKMANAGERS", "2");
            env.put("UNROLL_TM_SLOTS", "1");
            env.put("UNROLL_JOB_JAR", jobJar.toString());
            // a list, not a range: the TaskManagers' own random ports can fall inside a range
            env.put("UNROLL_PROMETHEUS_PORTS", ports[4] + "," + ports[5] + "," + ports[6]);
            // the cluster runs on the JDK that runs the test
            env.put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        }

        String bootstrap() {
            return "127.0.0.1:" + env.get("UNROLL_KAFKA_PORT");
        }

        String script(Duration timeout, String name, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of("bash", LOCAL.resolve(name).toString()));
            command.addAll(List.of(args));
            return run(timeout, command, env);
        }

        String submit(Path job, int parallelism) throws Exception {
            String out = script(Duration.ofMinutes(2), "submit.sh", job.toString(), Integer.toString(parallelism));
            Matcher m = Pattern.compile("job id: ([0-9a-f]{32})").matcher(out);
            assertTrue(m.find(), "no job id from submit.sh:\n" + out);
            return m.group(1);
        }

        String get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + env.get("UNROLL_FLINK_REST_PORT") + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "GET " + path + ": " + r.body());
            return r.body();
        }

        /** What every Flink process's reporter serves, one port each of UNROLL_PROMETHEUS_PORTS. */
        String prometheus() throws Exception {
            StringBuilder all = new StringBuilder();
            for (String port : env.get("UNROLL_PROMETHEUS_PORTS").split(",")) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    all.append(r.body());
                } catch (IOException e) {
                    throw new AssertionError("no Prometheus reporter at port " + port + ": one per Flink process", e);
                }
            }
            return all.toString();
        }

        JsonNode rest(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + env.get("UNROLL_FLINK_REST_PORT") + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "GET " + path + ": " + r.body());
            return JSON.readTree(r.body());
        }

        /** The parameter records once {@code count} are there; fails early if the job stops running. */
        List<ParameterVersion> awaitVersions(String topic, String jobId, int count, ParameterRecords records)
                throws Exception {
            long deadline = System.nanoTime() + TRAIN_TIMEOUT.toNanos();
            List<ParameterVersion> versions = List.of();
            while (System.nanoTime() < deadline) {
                List<ParameterVersion> read = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(bootstrap(), topic, Duration.ofSeconds(10))) {
                    read.add(records.decode(r.value()));
                }
                versions = read;
                if (versions.size() >= count) {
                    return versions;
                }
                String state = rest("/jobs/" + jobId).get("state").asText();
                if (!state.equals("RUNNING") && !state.equals("CREATED") && !state.equals("INITIALIZING")) {
                    fail("the job is " + state + " after " + versions.size() + " of " + count + " versions: "
                            + rest("/jobs/" + jobId + "/exceptions").path("root-exception").asText());
                }
                Thread.sleep(500);
            }
            fail(versions.size() + " of " + count + " parameter versions within " + TRAIN_TIMEOUT.toSeconds() + " s");
            return versions;
        }

        /** The newest version numbered {@code number} or more on the topic, once there is one (restarts publish some twice). */
        ParameterVersion awaitVersion(String topic, long number, ParameterRecords records) throws Exception {
            long deadline = System.nanoTime() + TRAIN_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                ParameterVersion found = null;
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(bootstrap(), topic, Duration.ofSeconds(5))) {
                    ParameterVersion v = records.decode(r.value());
                    if (v.version >= number) {
                        found = v;
                    }
                }
                if (found != null) {
                    return found;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("no version " + number + " within " + TRAIN_TIMEOUT.toSeconds() + " s");
        }

        /** True while the process of the cluster named {@code name} in the run dir's pids runs. */
        boolean alive(String name) throws Exception {
            long pid = Long.parseLong(Files.readString(runDir.resolve("pids").resolve(name + ".pid")).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        /** SIGKILL to a process of the cluster, by its name in the run dir's pids. */
        void kill(String name) throws Exception {
            long pid = Long.parseLong(Files.readString(runDir.resolve("pids").resolve(name + ".pid")).strip());
            ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " is not running"));
            process.destroyForcibly();
            process.onExit().get(30, TimeUnit.SECONDS);
        }

        synchronized void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            try {
                run(Duration.ofMinutes(2), List.of("bash", LOCAL.resolve("stop.sh").toString()), env);
            } catch (Throwable e) {
                System.err.println("deploy/local/stop.sh failed: " + e);
            }
        }

        void printLogs() {
            try (Stream<Path> logs = Files.list(runDir.resolve("logs"))) {
                for (Path log : logs.sorted().toList()) {
                    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                    System.out.println("==== " + log + " (last 80 of " + lines.size() + " lines)");
                    lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
                }
            } catch (IOException e) {
                System.out.println("no logs under " + runDir + ": " + e);
            }
        }

        private static int[] freePorts(int n) throws IOException {
            List<ServerSocket> sockets = new ArrayList<>();
            try {
                int[] ports = new int[n];
                for (int k = 0; k < n; k++) {
                    ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                    sockets.add(s);
                    ports[k] = s.getLocalPort();
                }
                return ports;
            } finally {
                for (ServerSocket s : sockets) {
                    s.close();
                }
            }
        }
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
