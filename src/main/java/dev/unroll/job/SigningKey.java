package dev.unroll.job;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;

/**
 * The secret that signs parameter records (HMAC-SHA256): from the environment variable
 * {@value #ENV} or from the file a job's {@code security.signingKeyFile} names. Only the readers
 * and writers of the parameters topic hold it: it prints as {@code [redacted]}, and neither the
 * provenance (which names the file, not its contents) nor any record carries it.
 */
public final class SigningKey implements Serializable {
    /** The environment variable whose value is the key; it wins over the job file's key file. */
    public static final String ENV = "UNROLL_SIGNING_KEY";
    /** RFC 2104: a key shorter than the hash's output (32 bytes for SHA-256) weakens the HMAC. */
    static final int MIN_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final byte[] secret;

    private SigningKey(byte[] secret) {
        this.secret = secret;
    }

    /**
     * The key the environment or {@code file} holds (the environment first), null when neither
     * gives one. A key file's trailing line break is not part of the key.
     *
     * @throws JobException naming {@code source} and the variable or key, never the secret
     */
    static SigningKey resolve(String source, Path file, Map<String, String> environment) {
        String fromEnv = environment.get(ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return checked(source, ENV + " (environment)", fromEnv);
        }
        if (file == null) {
            return null;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new JobException(source, JobConfig.SIGNING_KEY_FILE.path, "no such file: " + file);
        } catch (IOException e) {
            throw new JobException(source, JobConfig.SIGNING_KEY_FILE.path, "cannot read " + file + ": " + e.getMessage());
        }
        return checked(source, JobConfig.SIGNING_KEY_FILE.path, text.stripTrailing());
    }

    private static SigningKey checked(String source, String where, String key) {
        try {
            return of(key);
        } catch (IllegalArgumentException e) {
            throw new JobException(source, where, e.getMessage());
        }
    }

    /**
     * The key {@code key}'s UTF-8 bytes make.
     *
     * @throws IllegalArgumentException when it is shorter than {@value #MIN_BYTES} bytes (the message leaves it out)
     */
    public static SigningKey of(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_BYTES) {
            throw new IllegalArgumentException("the signing key must be at least " + MIN_BYTES + " bytes, found "
                    + bytes.length + " (make one with: openssl rand -base64 48)");
        }
        return new SigningKey(bytes);
    }

    /** A fresh HMAC-SHA256 keyed with this key (a Mac is not thread-safe: one per user). */
    public Mac mac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
        }
    }

    @Override
    public String toString() {
        return "SigningKey[redacted]";
    }
}
