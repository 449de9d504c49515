package dev.unroll.record;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A planned failure for recovery tests: operator {@code operator} throws once when it reaches
 * batch {@code batch}. "Once" is remembered in a marker file, so it holds across the restart
 * that re-creates the operator (and across processes on a real cluster).
 *
 * @param operator "bptt" or "aggregate"
 * @param batch    the batch at which to fail
 * @param marker   created when the failure happens; the fault is spent once it exists
 */
public record InjectedFault(String operator, long batch, String marker) implements Serializable {

    /** Thrown in place of a real crash. */
    public static final class Crash extends RuntimeException {
        Crash(String message) {
            super(message);
        }
    }

    public static void maybeFail(InjectedFault fault, String operator, long batch) {
        if (fault == null || !fault.operator.equals(operator) || fault.batch != batch) {
            return;
        }
        try {
            Files.createFile(Path.of(fault.marker));
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the fault marker " + fault.marker, e);
        }
        throw new Crash("injected failure in " + operator + " at batch " + batch);
    }
}
