package dev.unroll.launch;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or a kill) as a request to stop: the JVM's shutdown hook asks the command's loop to stop
 * and then holds the JVM until the command has finished cleanly (results written, job cancelled or
 * savepointed), for at most a grace period.
 */
public final class StopSignal implements AutoCloseable {
    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(String name, Duration grace) {
        Thread main = Thread.currentThread();
        hook = new Thread(() -> {
            requested.countDown();
            try {
                finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                main.interrupt();
            }
        }, name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Installs the hook; {@link #close()} releases the JVM and removes it. */
    public static StopSignal onShutdown(String name, Duration grace) {
        return new StopSignal(name, grace);
    }

    public boolean requested() {
        return requested.getCount() == 0 || Thread.currentThread().isInterrupted();
    }

    /** Waits up to {@code timeout} (forever when null) for a stop request; true when one came. */
    public boolean await(Duration timeout) {
        try {
            if (timeout == null) {
                requested.await();
                return true;
            }
            return requested.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // an embedding program interrupts the thread: a stop like any other
            Thread.currentThread().interrupt();
            return true;
        }
    }

    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it has just been released
        }
    }
}
