package dev.unroll.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.record.ParameterVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The scripts of {@code deploy/local}, pointed at a run dir of the test's own and at free ports:
 * start, submit, read the REST API and the topics, kill a process with SIGKILL and start it again
 * as a supervisor would, stop. For LocalClusterIT and ChaosSoak.
 */
final class LocalCluster {
    static final Path REPO = Path.of("").toAbsolutePath();
    static final Path LOCAL = REPO.resolve("deploy/local");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TRAIN_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private final Path runDir;
    private final Map<String, String> env = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private boolean stopped;

    LocalCluster(Path runDir, Path jobJar, boolean highAvailability) throws IOException {
        this.runDir = runDir;
        int[] ports = freePorts(8);
        env.put("UNROLL_RUN_DIR", runDir.toString());
        env.put("UNROLL_KAFKA_PORT", Integer.toString(ports[0]));
        env.put("UNROLL_KAFKA_CONTROLLER_PORT", Integer.toString(ports[1]));
        env.put("UNROLL_FLINK_REST_PORT", Integer.toString(ports[2]));
        env.put("UNROLL_FLINK_RPC_PORT", Integer.toString(ports[3]));
        env.put("UNROLL_TASKMANAGERS", "2");
        env.put("UNROLL_TM_SLOTS", "1");
        env.put("UNROLL_JOB_JAR", jobJar.toString());
        env.put("UNROLL_HA", highAvailability ? "1" : "0");
        env.put("UNROLL_ZOOKEEPER_PORT", Integer.toString(ports[7]));
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

    /**
     * Starts a process of the cluster again with its script, as a supervisor would, and waits until
     * it is up: {@code taskmanager-K}, {@code jobmanager} or {@code kafka}.
     */
    void restart(String name) throws Exception {
        if (name.startsWith("taskmanager-")) {
            script(START_TIMEOUT, "taskmanager.sh", name.substring("taskmanager-".length()));
        } else {
            script(START_TIMEOUT, name + ".sh");
        }
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

    /** Runs a command, returning its output; fails on a non-zero exit or after {@code timeout}. */
    static String run(Duration timeout, List<String> command, Map<String, String> env) throws Exception {
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
}
