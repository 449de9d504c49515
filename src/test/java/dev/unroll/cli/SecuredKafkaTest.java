package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.io.LoopbackPorts;
import dev.unroll.job.JobConfig;
import dev.unroll.job.ParameterFormat;
import dev.unroll.job.SigningKey;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterFollower;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.kafka.SecuredKafka;
import dev.unroll.kafka.VersionSignatures;
import dev.unroll.model.Network;
import dev.unroll.model.Parameters;
import dev.unroll.model.TestSupport;
import dev.unroll.record.ParameterVersion;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Unroll against a broker that demands credentials: SASL/SCRAM over TLS, the standard authorizer
 * and exactly the ACLs docs/security.md lists (read from that page). The job and the producer
 * work with their least privileges; a client without credentials, or with the producer's rights
 * only, cannot write a parameter version; a forged version published mid-training with the job's
 * own credentials is refused, so the result still equals {@code train}; bad credentials are a
 * one-line error within seconds. Secrets reach the commands through the environment and are never
 * printed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SecuredKafkaTest {
    private static final String JOB = "secured";
    private static final String PARAMETERS = "unroll." + JOB + ".parameters";
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** The bound on a refused command, JVM start included. */
    private static final long REFUSED_WITHIN_SECONDS = 10;
    private static final int BATCH = 4;

    @TempDir
    static Path dir;

    private static SecuredKafka kafka;
    private static String signingKey;
    private static Path job;
    private static Path producerJob;

    @BeforeAll
    static void startBrokerWithTheDocumentedAcls() throws Exception {
        kafka = new SecuredKafka(dir.resolve("broker"), "unroll-job", "unroll-producer", "unroll-serving");
        for (String topic : List.of("sequences", "parameters", "dead-letters", "requests", "predictions")) {
            kafka.createTopic("unroll." + JOB + "." + topic, 1);
        }
        try (Admin admin = Admin.create(kafka.client("admin"))) {
            admin.createAcls(documentedAcls()).all().get();
        }
        Files.copy(Path.of("jobs", "binary-addition.network.json"), dir.resolve("network.json"));
        signingKey = "a signing key for this test only: " + System.nanoTime();
        Files.writeString(dir.resolve("signing.key"), signingKey + "\n");
        String task = Files.readString(Path.of("jobs", "binary-addition.yaml"));
        String common = "name: " + JOB + "\nnetwork: network.json\n"
                + "training:\n  batchSize: " + BATCH + "\n  learningRate: 0.5\n"
                // every version crosses Kafka to the BPTT instances, as on a cluster: that is where a forgery would enter
                + "stream:\n  parallelism: 2\n  inProcessVersions: false\n"
                + "topics:\n  partitions: 1\n"
                + "security:\n  signingKeyFile: signing.key\n"
                + "metrics:\n  prometheusPort: " + LoopbackPorts.free() + "\n"
                + task.substring(task.indexOf("task:"))
                + "kafka:\n  security.protocol: SASL_SSL\n  sasl.mechanism: " + SecuredKafka.MECHANISM + "\n"
                + "  ssl.truststore.location: " + kafka.truststore() + "\n  ssl.truststore.type: PKCS12\n";
        job = dir.resolve("secured.yaml");
        Files.writeString(job, common);
        // in-process commands cannot be given an environment: the producer's job file holds its secrets
        producerJob = dir.resolve("producer.yaml");
        Files.writeString(producerJob, common + "  ssl.truststore.password: " + kafka.storePassword() + "\n"
                + "  sasl.jaas.config: '" + SecuredKafka.jaas("unroll-producer", kafka.password("unroll-producer")) + "'\n");
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The kafka-acls.sh lines of docs/security.md, for this job. */
    private static List<AclBinding> documentedAcls() throws Exception {
        List<AclBinding> acls = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("docs", "security.md"))) {
            if (!line.startsWith("kafka-acls.sh ")) {
                continue;
            }
            List<String> words = Arrays.asList(line.replace("$JOB", JOB).split("\\s+"));
            String principal = null;
            ResourcePattern resource = null;
            PatternType pattern = PatternType.LITERAL;
            List<AclOperation> operations = new ArrayList<>();
            for (int k = 0; k < words.size() - 1; k++) {
                String value = words.get(k + 1);
                switch (words.get(k)) {
                    case "--allow-principal" -> principal = value;
                    case "--operation" -> operations.add(AclOperation.fromString(value));
                    case "--topic" -> resource = new ResourcePattern(ResourceType.TOPIC, value, PatternType.LITERAL);
                    case "--group" -> resource = new ResourcePattern(ResourceType.GROUP, value, PatternType.LITERAL);
                    case "--resource-pattern-type" -> pattern = PatternType.fromString(value.toUpperCase(Locale.ROOT));
                    default -> { }
                }
            }
            assertTrue(principal != null && resource != null && !operations.isEmpty(), "cannot read: " + line);
            for (AclOperation op : operations) {
                acls.add(new AclBinding(new ResourcePattern(resource.resourceType(), resource.name(), pattern),
                        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
            }
        }
        assertTrue(acls.size() >= 12, "docs/security.md lists the ACLs: " + acls);
        return acls;
    }

    @Test
    void clientsOutsideTheAclsCannotWriteAParameterVersion() throws Exception {
        long before = KafkaClients.countRecords(kafka.client("unroll-job"), PARAMETERS, Map.of());
        JobConfig config = JobConfig.read(job);
        Network net = config.loadNetwork();
        ParameterVersion v = new ParameterVersion(JOB, 1_000, net.parameters());
        ProducerRecord<byte[], byte[]> version = new ProducerRecord<>(PARAMETERS, 0, null, JOB.getBytes(StandardCharsets.UTF_8),
                new ParameterRecords(net, config.limits()).encode(v, ParameterFormat.BINARY),
                ParameterRecords.headers(v, ParameterFormat.BINARY));

        // TLS, but no SASL: the broker waits for a handshake the client never starts
        Properties anonymous = producer(kafka.bootstrapServers());
        anonymous.put("security.protocol", "SSL");
        anonymous.put("ssl.truststore.location", kafka.truststore().toString());
        anonymous.put("ssl.truststore.password", kafka.storePassword());
        anonymous.put("max.block.ms", "3000");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(anonymous)) {
            ExecutionException unanswered = assertThrows(ExecutionException.class, () -> p.send(version).get());
            assertInstanceOf(org.apache.kafka.common.errors.TimeoutException.class, unanswered.getCause(),
                    unanswered.toString());
        }

        Properties producer = producer(kafka.bootstrapServers());
        producer.putAll(kafka.clientProperties("unroll-producer"));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producer)) {
            // it is let in and sees its own topic, so what follows is the ACLs' doing, not a broken connection
            assertEquals(1, p.partitionsFor("unroll." + JOB + ".sequences").size());
            ExecutionException refused = assertThrows(ExecutionException.class, () -> p.send(version).get());
            assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), refused.toString());
            assertTrue(refused.getCause().getMessage().contains(PARAMETERS), refused.getCause().getMessage());
        }
        assertEquals(before, KafkaClients.countRecords(kafka.client("unroll-job"), PARAMETERS, Map.of()),
                "no version got through");
    }

    /**
     * The job runs as its principal, its secrets and signing key in the environment, every version
     * crossing Kafka to the BPTT instances. Once it has trained the first part of the data and waits
     * for more, three forged next versions are published with the job's own credentials (unsigned,
     * signed with another key, carrying a real version's signature): the BPTT instances (2) and
     * serving each dead-letter and count all three, and the parameters still equal {@code train}'s.
     */
    @Test
    void aForgedVersionMidTrainingIsRefusedAndTheResultEqualsTrain() throws Exception {
        String servers = kafka.bootstrapServers();
        int[] batches = {6, 2, 4};
        List<String> all = new ArrayList<>();
        for (int part = 0; part < batches.length; part++) {
            Path file = dir.resolve("part" + part + ".jsonl");
            ok("produce", "--job", producerJob.toString(), "--out", file.toString(), "--count",
                    Integer.toString(batches[part] * BATCH), "--seed", Integer.toString(part + 1));
            all.addAll(Files.readAllLines(file));
        }
        Files.write(dir.resolve("all.jsonl"), all);
        ok("train", "--job", job.toString(), "--data", dir.resolve("all.jsonl").toString(), "--out",
                dir.resolve("train.json").toString(), "--quiet");

        produceToTheTopic(0, batches);
        Path out = dir.resolve("run.json");
        Path log = dir.resolve("run.log");
        ProcessBuilder b = UnrollProcess.builder("run", "--job", job.toString(), "--bootstrap-servers", servers,
                "--state-dir", dir.resolve("state").toString(), "--max-sequences", Integer.toString(all.size()),
                "--out", out.toString());
        b.environment().putAll(secrets("unroll-job"));
        Process run = b.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            JobConfig config = JobConfig.read(job);
            Network structure = config.loadNetwork();
            try (ParameterFollower follower = new ParameterFollower(kafka.client("unroll-job"), PARAMETERS, JOB, structure,
                    config.limits(), 0, config.signingKey())) {
                ParameterVersion waiting = awaitVersion(follower, batches[0], run, log);
                forgeNextVersions(waiting, config);
                produceToTheTopic(1, batches);
                awaitVersion(follower, batches[0] + batches[1], run, log);
                assertEquals(3, follower.refused(), "a follower with the key passes the forgeries over");
            }
            String metrics = config.get(JobConfig.PROMETHEUS_PORT).toString();
            assertEquals(6.0, awaitMetric(metrics, "versionsRefused", "bptt", 6), "3 forgeries x 2 BPTT instances");
            assertEquals(3.0, awaitMetric(metrics, "versionsRefused", "check_version_signatures", 3));
            produceToTheTopic(2, batches);
            assertTrue(run.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "run ends\n" + Files.readString(log));
            assertEquals(0, run.exitValue(), Files.readString(log));
        } finally {
            run.destroyForcibly();
        }
        TestSupport.assertSameParameters(TestSupport.json(dir.resolve("train.json")), TestSupport.json(out));
        assertEquals(all.size(), TestSupport.json(out).at("/provenance/sequencesTrained").longValue());

        Map<String, Integer> refusals = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAtLeast(kafka.client("unroll-job"),
                "unroll." + JOB + ".dead-letters", 9, WAIT)) {
            String reason = header(r, DeadLetterSerializer.REASON);
            assertTrue(reason.contains("parameter record refused"), reason);
            refusals.merge(header(r, DeadLetterSerializer.STAGE), 1, Integer::sum);
        }
        assertEquals(Map.of("bptt", 6, "predict", 3), refusals);

        String printed = Files.readString(log);
        assertTrue(printed.contains("run: passed over 3 parameter records whose signature fails"), printed);
        assertNoSecretIn(printed);
        assertNoSecretIn(Files.readString(out));
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(kafka.client("unroll-job"), PARAMETERS, WAIT, true)) {
            StringBuilder record = new StringBuilder(new String(r.value(), StandardCharsets.ISO_8859_1));
            r.headers().forEach(h -> record.append(new String(h.value(), StandardCharsets.ISO_8859_1)));
            assertNoSecretIn(record.toString());
        }
    }

    private static void produceToTheTopic(int part, int[] batches) {
        ok("produce", "--job", producerJob.toString(), "--bootstrap-servers", kafka.bootstrapServers(), "--count",
                Integer.toString(batches[part] * BATCH), "--seed", Integer.toString(part + 1));
    }

    private static ParameterVersion awaitVersion(ParameterFollower follower, long version, Process run, Path log)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline && run.isAlive()) {
            for (ParameterVersion v : follower.poll(Duration.ofMillis(200))) {
                if (v.version == version) {
                    return v;
                }
            }
        }
        throw new AssertionError("no version " + version + "; run:\n" + Files.readString(log));
    }

    /** Versions after {@code genuine}, of its attempt, that the job never made, published with the job's own credentials. */
    private static void forgeNextVersions(ParameterVersion genuine, JobConfig config) throws Exception {
        ConsumerRecord<byte[], byte[]> real = KafkaClients.readAll(kafka.client("unroll-job"), PARAMETERS, WAIT, true)
                .stream().filter(r -> Long.toString(genuine.version).equals(header(r, "unroll.version")))
                .reduce((a, b) -> b).orElseThrow();
        ParameterRecords records = new ParameterRecords(config.loadNetwork(), config.limits());
        Properties p = producer(kafka.bootstrapServers());
        p.putAll(kafka.clientProperties("unroll-job"));
        byte[] key = JOB.getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int k = 1; k <= 3; k++) {
                Parameters at = genuine.parameters();
                Parameters moved = new Parameters(at.units, shifted(at.weights, k), shifted(at.biases, k),
                        shifted(at.initialState, k));
                ParameterVersion v = new ParameterVersion(JOB, genuine.version + k, moved);
                v.epoch = genuine.epoch;
                v.sequencesTrained = genuine.sequencesTrained + (long) k * BATCH;
                v.batchSize = BATCH;
                v.publishedAt = System.currentTimeMillis();
                byte[] value = records.encode(v, ParameterFormat.BINARY);
                RecordHeaders headers = ParameterRecords.headers(v, ParameterFormat.BINARY);
                if (k == 2) {
                    new VersionSignatures(SigningKey.of("another key, as long as the job's but not it")).sign(key, headers, value);
                } else if (k == 3) {
                    headers.add(VersionSignatures.HEADER, real.headers().lastHeader(VersionSignatures.HEADER).value());
                }
                producer.send(new ProducerRecord<>(PARAMETERS, 0, null, key, value, headers)).get();
            }
        }
    }

    private static double[] shifted(double[] values, int by) {
        double[] out = values.clone();
        for (int k = 0; k < out.length; k++) {
            out[k] += 0.25 * by;
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** A job metric from the run's Prometheus endpoint, summed over subtasks, once it reaches {@code expected} (or the deadline). */
    private static double awaitMetric(String port, String name, String operator, double expected) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double sum;
        do {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            sum = 0;
            for (String line : body.lines().toList()) {
                if (line.startsWith("flink_taskmanager_job_task_operator_" + name + "{")
                        && line.contains("operator_name=\"" + operator + "\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            if (sum >= expected) {
                return sum;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        return sum;
    }

    private static void ok(String... args) {
        TestSupport.Result r = TestSupport.run(args);
        assertEquals(0, r.exitCode(), r.describe());
    }

    /**
     * Each case twice: in this JVM, timed (the command's own part: it must not wait for a client's
     * long timeouts), with the secrets in the job file; and as a user runs it, in a JVM of its own
     * with the secrets in the environment, for everything it prints (starting a JVM on a busy
     * machine can take longer than the command itself, so that run is not timed).
     */
    @Test
    void badCredentialsAreAOneLineErrorAndExitTwoWithinSeconds() throws Exception {
        String servers = kafka.bootstrapServers();
        String badPassword = SecuredKafka.jaas("unroll-producer", "not-the-password");
        Map<String, String> wrongPassword = secrets("unroll-producer");
        wrongPassword.put("UNROLL_KAFKA_SASL_JAAS_CONFIG", badPassword);
        String[] produce = {"produce", "--job", job.toString(), "--bootstrap-servers", servers, "--count", "10"};
        String[] run = {"run", "--job", job.toString(), "--bootstrap-servers", kafka.expiredListener(),
                "--state-dir", dir.resolve("refused-run").toString(), "--quiet"};
        String[] plot = {"plot", "--job", job.toString(), "--bootstrap-servers", servers,
                "--out", dir.resolve("refused.png").toString()};
        String refusedProducer = refusedInProcess(withSecrets("wrong-password", "unroll-producer", badPassword,
                kafka.truststore()), produce);
        assertEquals("unroll produce: cannot reach Kafka at " + servers + ": authentication failed (check sasl.mechanism and"
                + " the user and password in sasl.jaas.config): Authentication failed during authentication due to invalid"
                + " credentials with SASL mechanism " + SecuredKafka.MECHANISM, refusedProducer);
        String expired = refusedInProcess(withSecrets("expired", "unroll-job", null, kafka.truststore()), run);
        assertTrue(expired.startsWith("unroll run: cannot reach Kafka at " + kafka.expiredListener()
                + ": TLS handshake failed: the broker's certificate is not valid now (NotAfter: "), expired);
        String untrusted = refusedInProcess(withSecrets("other-ca", "unroll-job", null, kafka.otherTruststore()), plot);
        assertEquals("unroll plot: cannot reach Kafka at " + servers + ": TLS handshake failed (does"
                + " ssl.truststore.location hold the CA that signed the broker's certificate?): unable to find valid"
                + " certification path to requested target", untrusted);

        // the same from the environment, as a deployment gives secrets, in a JVM of its own: one command (each
        // cold JVM's handshakes cost seconds of the suite, and the three share the code that says why)
        assertEquals(refusedProducer, printedBy(launch("produce", wrongPassword, produce), "produce"));
        assertTrue(Files.notExists(dir.resolve("refused.png")));
    }

    /** {@code args} with its job file replaced by one holding {@code user}'s secrets (its own password unless given). */
    private static String[] withSecrets(String name, String user, String jaas, Path truststore) throws Exception {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, Files.readString(job).replace(kafka.truststore().toString(), truststore.toString())
                + "  ssl.truststore.password: " + kafka.storePassword() + "\n"
                + "  sasl.jaas.config: '" + (jaas != null ? jaas : SecuredKafka.jaas(user, kafka.password(user))) + "'\n");
        return new String[] {file.toString()};
    }

    /** The one line a command refused by the broker prints, having exited 2 within the bound, in this JVM. */
    private static String refusedInProcess(String[] jobFile, String[] args) {
        String[] changed = args.clone();
        changed[Arrays.asList(args).indexOf("--job") + 1] = jobFile[0];
        long start = System.nanoTime();
        TestSupport.Result r = TestSupport.run(changed);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(seconds < REFUSED_WITHIN_SECONDS, args[0] + " took " + seconds + " s");
        System.err.printf(Locale.ROOT, "%s refused in %.1f s%n", args[0], seconds);
        assertNoSecretIn(r.out() + r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), r.describe());
        return lines.get(0);
    }

    /** The one line of stderr of a command in its own JVM, once it has exited 2, having printed no secret. */
    private static String printedBy(Process process, String name) throws Exception {
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        String err = Files.readString(dir.resolve(name + ".err"));
        assertTrue(exited, name + " still running; stderr:\n" + err);
        assertEquals(Main.BAD_INPUT, process.exitValue(), err);
        assertNoSecretIn(Files.readString(dir.resolve(name + ".out")) + err);
        List<String> lines = err.strip().lines().toList();
        assertEquals(1, lines.size(), name + " prints one line:\n" + err);
        return lines.get(0);
    }

    private static Process launch(String name, Map<String, String> environment, String... args) throws Exception {
        ProcessBuilder b = UnrollProcess.builder(args);
        b.environment().putAll(environment);
        return b.redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    /** What a deployment puts in the environment for {@code user}: its JAAS line, the trust store's password, the signing key. */
    private static Map<String, String> secrets(String user) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("UNROLL_KAFKA_SASL_JAAS_CONFIG", SecuredKafka.jaas(user, kafka.password(user)));
        env.put("UNROLL_KAFKA_SSL_TRUSTSTORE_PASSWORD", kafka.storePassword());
        env.put(SigningKey.ENV, signingKey);
        return env;
    }

    private static void assertNoSecretIn(String text) {
        for (String user : List.of("unroll-job", "unroll-producer", "admin", "broker")) {
            assertFalse(text.contains(kafka.password(user)), user + "'s password printed:\n" + text);
        }
        assertFalse(text.contains(kafka.storePassword()), "the trust store's password printed:\n" + text);
        assertFalse(text.contains(signingKey), "the signing key printed:\n" + text);
    }

    private static Properties producer(String servers) {
        Properties p = KafkaClients.producerProps(servers);
        p.put("delivery.timeout.ms", "10000");
        p.put("request.timeout.ms", "5000");
        return p;
    }
}
