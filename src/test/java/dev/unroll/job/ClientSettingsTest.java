package dev.unroll.job;

import dev.unroll.launch.KafkaConnectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientSettingsTest {
    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";";

    @TempDir
    Path dir;

    @Test
    void securitySettingsReachEveryClient() throws Exception {
        JobConfig config = job("kafka:\n  security.protocol: SASL_SSL\n  sasl.mechanism: PLAIN\n"
                + "  ssl.truststore.location: /etc/kafka/truststore.jks\n");
        KafkaConnectors kafka = KafkaConnectors.of("127.0.0.1:1", config);
        for (var props : new java.util.Properties[] {kafka.producerProperties(), kafka.consumerProperties(),
                kafka.batchedVersionProducerProperties(), kafka.followerConsumerProperties(), kafka.bulkProducerProperties()}) {
            assertEquals("SASL_SSL", props.getProperty("security.protocol"));
            assertEquals("PLAIN", props.getProperty("sasl.mechanism"));
            assertEquals("/etc/kafka/truststore.jks", props.getProperty("ssl.truststore.location"));
        }
    }

    @Test
    void perKeyVersionsGoInCompressedBatchesUnlessTheJobSaysOtherwise() throws Exception {
        KafkaConnectors plain = KafkaConnectors.of("127.0.0.1:1", job(""));
        assertEquals("0", plain.producerProperties().getProperty("linger.ms"));
        assertEquals("20", plain.batchedVersionProducerProperties().getProperty("linger.ms"));
        assertEquals("lz4", plain.batchedVersionProducerProperties().getProperty("compression.type"));
        assertEquals("all", plain.batchedVersionProducerProperties().getProperty("acks"));
        assertEquals("65536", plain.followerConsumerProperties().getProperty("fetch.min.bytes"));

        KafkaConnectors own = KafkaConnectors.of("127.0.0.1:1",
                job("kafka:\n  linger.ms: 0\n  compression.type: zstd\n  fetch.min.bytes: 1\n"));
        assertEquals("0", own.batchedVersionProducerProperties().getProperty("linger.ms"));
        assertEquals("zstd", own.batchedVersionProducerProperties().getProperty("compression.type"));
        assertEquals("1", own.followerConsumerProperties().getProperty("fetch.min.bytes"));
    }

    @Test
    void theEnvironmentSuppliesSecretsAndWins() {
        Map<String, String> merged = ClientSettings.merge("job.yaml", Map.of("sasl.mechanism", "SCRAM-SHA-256"),
                Map.of("UNROLL_KAFKA_SASL_JAAS_CONFIG", JAAS, "UNROLL_KAFKA_SASL_MECHANISM", "PLAIN", "PATH", "/bin"));
        assertEquals(JAAS, merged.get("sasl.jaas.config"));
        assertEquals("PLAIN", merged.get("sasl.mechanism"));
        assertEquals(2, merged.size(), "only UNROLL_KAFKA_ variables are taken");
    }

    @Test
    void secretsNeverAppearWhenPrinted() {
        String shown = ClientSettings.describe(Map.of("sasl.jaas.config", JAAS, "ssl.keystore.password", "s3cret",
                "ssl.key.password", "k3y", "security.protocol", "SASL_SSL"));
        assertFalse(shown.contains("hunter2"), shown);
        assertFalse(shown.contains("s3cret"), shown);
        assertFalse(shown.contains("k3y"), shown);
        assertTrue(shown.contains("security.protocol=SASL_SSL"), shown);
    }

    @Test
    void aJobCannotMakeClientsLoadClasses() throws Exception {
        for (String line : new String[] {"interceptor.classes: com.evil.Interceptor",
                "sasl.login.callback.handler.class: com.evil.Handler", "key.deserializer: com.evil.Deserializer",
                "config.providers: file", "metric.reporters: com.evil.Reporter", "bootstrap.servers: elsewhere:9092",
                "sasl.jaas.config: com.evil.LoginModule required;"}) {
            JobException e = assertThrows(JobException.class, () -> job("kafka:\n  " + line + "\n"), line);
            String key = line.substring(0, line.indexOf(':'));
            assertTrue(e.getMessage().contains("kafka." + key), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
        }
    }

    private JobConfig job(String extra) throws Exception {
        Files.writeString(dir.resolve("network.json"), "{}");
        Path job = dir.resolve("job.yaml");
        Files.writeString(job, "network: network.json\n" + extra);
        return JobConfig.read(job);
    }
}
