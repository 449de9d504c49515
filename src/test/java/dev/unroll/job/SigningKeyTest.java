package dev.unroll.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.format.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.crypto.Mac;

/**
 * Where the signing key comes from (a key file the job names, or the environment, which wins),
 * what a bad one says (never the key), and that the provenance names the file, never the key.
 */
class SigningKeyTest {
    private static final String SECRET = "a key of more than thirty-two bytes for these tests";

    @TempDir
    Path dir;

    private Path job(String extra) throws Exception {
        Files.writeString(dir.resolve("network.json"), "{\"units\": 1, \"weights\": [[0.5]], \"biases\": [0], \"initialState\": [0]}");
        return Files.writeString(dir.resolve("job.yaml"), "network: network.json\n" + extra);
    }

    private static byte[] tag(SigningKey key) {
        Mac mac = key.mac();
        return mac.doFinal("the same bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aKeyFileBesideTheJobSignsAndTheEnvironmentWins() throws Exception {
        Files.writeString(dir.resolve("signing.key"), SECRET + "\n");
        Path job = job("security:\n  signingKeyFile: signing.key\n");
        SigningKey fromFile = JobConfig.read(job).signingKey();
        // the key is the file's text without its line break
        assertArrayEquals(tag(SigningKey.of(SECRET)), tag(fromFile));

        String other = "another key of more than thirty-two bytes";
        SigningKey fromEnv = SigningKey.resolve("job.yaml", dir.resolve("signing.key"), Map.of(SigningKey.ENV, other));
        assertArrayEquals(tag(SigningKey.of(other)), tag(fromEnv));
        assertNull(SigningKey.resolve("job.yaml", null, Map.of()), "no key: records are not signed");
        assertNull(JobConfig.read(job("")).signingKey());
    }

    @Test
    void theProvenanceNamesTheFileNeverTheKey() throws Exception {
        Files.writeString(dir.resolve("signing.key"), SECRET);
        String provenance = Json.write(Provenance.of(JobConfig.read(job("security:\n  signingKeyFile: signing.key\n"))));
        assertTrue(provenance.contains("\"security.signingKeyFile\":\"signing.key\""), provenance);
        assertFalse(provenance.contains(SECRET), provenance);
        assertEquals("SigningKey[redacted]", SigningKey.of(SECRET).toString());
    }

    @Test
    void aMissingOrShortKeyIsAOneLineErrorWithoutTheKey() throws Exception {
        Path job = job("security:\n  signingKeyFile: signing.key\n");
        JobException missing = assertThrows(JobException.class, () -> JobConfig.read(job));
        assertEquals(job + ": security.signingKeyFile: no such file: " + dir.resolve("signing.key"), missing.getMessage());

        Files.writeString(dir.resolve("signing.key"), "s3cr3t\n");
        JobException shortKey = assertThrows(JobException.class, () -> JobConfig.read(job));
        assertEquals(job + ": security.signingKeyFile: the signing key must be at least 32 bytes, found 6 (make one with:"
                + " openssl rand -base64 48)", shortKey.getMessage());
        JobException shortEnv = assertThrows(JobException.class,
                () -> SigningKey.resolve("job.yaml", null, Map.of(SigningKey.ENV, "s3cr3t")));
        assertEquals("job.yaml: UNROLL_SIGNING_KEY (environment): the signing key must be at least 32 bytes, found 6"
                + " (make one with: openssl rand -base64 48)", shortEnv.getMessage());
    }
}
