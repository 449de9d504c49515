package dev.unroll.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Enough to reproduce a set of parameters: the job (file, SHA-256 and every setting with its
 * effective value, defaults included), its initial network (file and SHA-256), the code that
 * trained it (version and commit) and where its data came from. Parameters files carry it under
 * {@code provenance}; parameter records carry the job part in their {@code unroll.provenance}
 * header and their data in {@code unroll.source}.
 */
public final class Provenance {
    private static final String BUILD_INFO = "/dev/unroll/build.properties";

    private Provenance() {
    }

    /** The job part: name, file, settings, network and code. */
    public static Map<String, Object> of(JobConfig config) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("job", config.name());
        p.put("jobFile", config.file().toString());
        p.put("jobFileSha256", sha256(config.file()));
        p.put("network", config.networkPath().toString());
        p.put("networkSha256", sha256(config.networkPath()));
        Map<String, Object> settings = new TreeMap<>();
        for (JobKey<?> key : JobConfig.KEYS) {
            Object value = config.get(key);
            settings.put(key.path, value == null ? null : value instanceof Number || value instanceof Boolean ? value
                    : value.toString());
        }
        p.put("settings", settings);
        p.put("code", code());
        return p;
    }

    /** A data file, with its SHA-256 and size in bytes. */
    public static Map<String, Object> file(Path data) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("file", data.toAbsolutePath().normalize().toString());
        d.put("sha256", sha256(data));
        try {
            d.put("bytes", Files.size(data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /** Records of a topic, as {@code TOPIC partition:first-last,...}; null when nothing was read. */
    public static Map<String, Object> topic(String ranges) {
        if (ranges == null || ranges.isEmpty()) {
            return null;
        }
        Map<String, Object> d = new LinkedHashMap<>();
        int space = ranges.indexOf(' ');
        d.put("topic", ranges.substring(0, space));
        d.put("offsets", ranges.substring(space + 1));
        return d;
    }

    /** The version and commit the running code was built from ("unknown" outside a build). */
    public static Map<String, String> code() {
        Properties build = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream(BUILD_INFO)) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> c = new LinkedHashMap<>();
        c.put("version", known(build.getProperty("version")));
        c.put("commit", known(build.getProperty("commit")));
        c.put("dirty", known(build.getProperty("dirty")));
        return c;
    }

    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
    }

    static String sha256(Path file) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
