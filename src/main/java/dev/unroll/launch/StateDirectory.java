package dev.unroll.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.job.JobException;
import dev.unroll.model.Network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Everything one job on the embedded default needs to go on after a stop or a crash: the
 * broker's data ({@code kafka/}) and Flink's retained checkpoints ({@code checkpoints/}), with
 * {@code unroll-state.json} naming the job and the network structure they belong to, so that a
 * directory is never resumed by another job.
 */
public final class StateDirectory {
    static final String MARKER = "unroll-state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private StateDirectory(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens {@code dir} for {@code job} on {@code network}: creates it if missing or empty,
     * checks its owner otherwise; {@code fresh} empties it first.
     *
     * @throws JobException naming the directory and the reason, for another job's directory, a
     *                      network of another structure, or an unreadable marker
     */
    public static StateDirectory open(Path dir, String job, Network network, boolean fresh) {
        Path d = dir.toAbsolutePath().normalize();
        String structure = Long.toHexString(network.structureFingerprint());
        try {
            if (fresh && Files.exists(d.resolve(MARKER))) {
                check(d, job, structure);
                deleteContents(d);
            }
            if (Files.isDirectory(d) && Files.exists(d.resolve(MARKER))) {
                check(d, job, structure);
            } else if (Files.isDirectory(d) && !isEmpty(d)) {
                throw new JobException(d.toString(), "", "not an Unroll state directory (no " + MARKER
                        + "); choose an empty or new directory");
            } else {
                Files.createDirectories(d);
                Files.writeString(d.resolve(MARKER), JSON.createObjectNode().put("job", job)
                        .put("structure", structure).toPrettyString() + "\n");
            }
            Files.createDirectories(d.resolve("checkpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the state directory " + d, e);
        }
        return new StateDirectory(d);
    }

    private static void check(Path d, String job, String structure) throws IOException {
        JsonNode marker;
        try {
            marker = JSON.readTree(d.resolve(MARKER).toFile());
        } catch (IOException e) {
            throw new JobException(d.resolve(MARKER).toString(), "", "unreadable: " + e.getMessage().lines().findFirst().orElse("")
                    + "; use another directory, or --fresh to start over here");
        }
        if (marker == null || !marker.path("job").isTextual() || !marker.path("structure").isTextual()) {
            throw new JobException(d.resolve(MARKER).toString(), "", "not an Unroll state marker;"
                    + " use another directory, or --fresh to start over here");
        }
        if (!marker.get("job").textValue().equals(job)) {
            throw new JobException(d.toString(), "", "holds the state of job " + marker.get("job").textValue()
                    + ", not " + job + "; use another directory");
        }
        if (!marker.get("structure").textValue().equals(structure)) {
            throw new JobException(d.toString(), "", "holds the state of a network of another structure"
                    + " (the job's network file changed); use another directory, or --fresh to start over here");
        }
    }

    public Path path() {
        return dir;
    }

    /** Where the embedded broker keeps its data. */
    public Path kafka() {
        return dir.resolve("kafka");
    }

    /** Where Flink writes checkpoints, as the URI Flink's configuration takes. */
    public String checkpointsUri() {
        return dir.resolve("checkpoints").toUri().toString();
    }

    /**
     * The newest completed checkpoint, a {@code chk-N} folder holding {@code _metadata} (Flink
     * writes it last), of any earlier run of the job.
     */
    public Optional<Path> newestCheckpoint() {
        try (Stream<Path> jobs = Files.list(dir.resolve("checkpoints"))) {
            return jobs.filter(Files::isDirectory).flatMap(StateDirectory::checkpointsOf)
                    .filter(chk -> Files.isRegularFile(chk.resolve("_metadata")))
                    .max(Comparator.comparingLong(StateDirectory::number));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<Path> checkpointsOf(Path jobDir) {
        try {
            return Files.list(jobDir).filter(p -> p.getFileName().toString().matches("chk-\\d+")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checkpoint numbers go on from the restored one, so the highest is the newest across runs. */
    private static long number(Path chk) {
        return Long.parseLong(chk.getFileName().toString().substring(4));
    }

    private static boolean isEmpty(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteContents(Path d) throws IOException {
        Files.walkFileTree(d, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path sub, IOException e) throws IOException {
                if (!sub.equals(d)) {
                    Files.delete(sub);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
