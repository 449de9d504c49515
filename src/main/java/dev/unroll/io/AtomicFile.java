package dev.unroll.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a result file whole or not at all: into a temporary file beside it, then one rename. */
public final class AtomicFile {
    /** Fills the temporary file. */
    public interface Content {
        void writeTo(Path tmp) throws IOException;
    }

    private AtomicFile() {
    }

    public static void write(Path out, Content content) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".unroll-", ".tmp");
        try {
            content.writeTo(tmp);
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                // createTempFile makes it owner-only; a result file is meant to be shared like any other
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
