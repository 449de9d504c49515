package dev.unroll.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kafka client properties from a job file's {@code kafka} section and from the environment
 * ({@code UNROLL_KAFKA_SASL_JAAS_CONFIG} sets {@code sasl.jaas.config}; the environment wins, so
 * secrets need not be written in job files). They reach every client the job makes. A job file
 * must not make a client load code it names, so class-valued and plug-in properties are refused,
 * and a JAAS configuration may only name Kafka's own login modules (or Kerberos).
 */
public final class ClientSettings {
    public static final String ENV_PREFIX = "UNROLL_KAFKA_";

    /** Properties the commands set themselves or that load classes. */
    private static final List<String> REFUSED = List.of("bootstrap.servers", "key.serializer", "value.serializer",
            "key.deserializer", "value.deserializer", "config.providers", "metric.reporters", "interceptor.classes",
            "security.providers");
    private static final List<String> REFUSED_SUFFIXES = List.of(".class", ".classes", ".providers");
    private static final List<String> LOGIN_MODULES = List.of(
            "org.apache.kafka.common.security.plain.PlainLoginModule",
            "org.apache.kafka.common.security.scram.ScramLoginModule",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
            "com.sun.security.auth.module.Krb5LoginModule");
    private static final List<String> SECRET_WORDS = List.of("password", "secret", "jaas", "token", "credential",
            "key");

    private ClientSettings() {
    }

    /** Why {@code key = value} may not be set, or null when it may. */
    public static String problem(String key, String value) {
        if (REFUSED.contains(key) || REFUSED_SUFFIXES.stream().anyMatch(key::endsWith)) {
            return "may not be set from a job (it is set by Unroll or would load a class)";
        }
        if (key.equals("sasl.jaas.config")) {
            String module = value.strip().split("\\s+", 2)[0];
            if (!LOGIN_MODULES.contains(module)) {
                return "must name one of Kafka's login modules (" + String.join(", ", LOGIN_MODULES) + ")";
            }
        }
        return null;
    }

    /** The job file's properties overlaid with those of the environment, each checked. */
    static Map<String, String> merge(String source, Map<String, String> fromJob, Map<String, String> environment) {
        Map<String, String> merged = new LinkedHashMap<>(fromJob);
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                merged.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        merged.forEach((key, value) -> {
            String problem = problem(key, value);
            if (problem != null) {
                throw new JobException(source, "kafka." + key, problem);
            }
        });
        return merged;
    }

    /** For printing: every value whose key suggests a secret is replaced. */
    public static String describe(Map<String, String> properties) {
        Map<String, String> shown = new TreeMap<>();
        properties.forEach((key, value) -> shown.put(key, isSecret(key) ? "[redacted]" : value));
        return shown.toString();
    }

    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return SECRET_WORDS.stream().anyMatch(k::contains);
    }
}
