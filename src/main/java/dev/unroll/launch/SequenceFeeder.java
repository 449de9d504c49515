package dev.unroll.launch;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams records into a topic from its own thread: at most {@code lookahead} records ahead of
 * the newest version's count (so a live job's topic is not flooded), never past {@code limit}, and
 * at most {@code perSecond} records a second when that is positive. Used by `demo`, `load` and
 * `produce`.
 */
public final class SequenceFeeder implements AutoCloseable {
    /** One record to send: its key (null for none) and value. */
    public record Record(byte[] key, byte[] value) {
    }

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final Iterator<Record> records;
    private final long lookahead;
    private final long limit;
    private final double perSecond;
    private final Thread thread;
    private final Object signal = new Object();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long trained;
    private volatile long produced;
    private volatile boolean closed;
    private long startedAt; // the feeding thread's own

    public SequenceFeeder(Properties producerProperties, String topic, Iterator<Record> records, long lookahead,
                          long limit, double perSecond) {
        this.producer = new KafkaProducer<>(producerProperties);
        this.topic = topic;
        this.records = records;
        this.lookahead = lookahead;
        this.limit = limit;
        this.perSecond = perSecond;
        this.thread = new Thread(this::feed, "unroll-feeder");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The newest version has this many sequences: the feeder may run ahead of it again. */
    public void trained(long count) {
        trained = count;
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    public long produced() {
        return produced;
    }

    /** Throws what made the producer fail, if anything did. */
    public void check() {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("producing to " + topic + " failed: " + t.getMessage(), t);
        }
    }

    /**
     * Waits up to {@code timeout} for the limit (or the end of the records) to be produced; once it
     * is, waits for every record to be acknowledged and returns true.
     *
     * @throws IllegalStateException with what made the producer fail, if anything did
     */
    public boolean awaitLimit(Duration timeout) throws InterruptedException {
        thread.join(Math.max(1, timeout.toMillis()));
        check();
        if (thread.isAlive()) {
            return false;
        }
        producer.flush();
        check();
        return true;
    }

    private long allowed() {
        long byRate = perSecond > 0 ? (long) (perSecond * (System.nanoTime() - startedAt) / 1e9) + 1 : Long.MAX_VALUE;
        long byLookahead = lookahead == Long.MAX_VALUE ? Long.MAX_VALUE : trained + lookahead;
        return Math.min(limit, Math.min(byLookahead, byRate));
    }

    private void feed() {
        startedAt = System.nanoTime();
        try {
            while (!closed && failure.get() == null && produced < limit && records.hasNext()) {
                if (produced >= allowed()) {
                    synchronized (signal) {
                        if (!closed && produced >= allowed()) {
                            signal.wait(perSecond > 0 ? 1 : 100);
                        }
                    }
                    continue;
                }
                Record r = records.next();
                producer.send(new ProducerRecord<>(topic, r.key(), r.value()), (meta, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                produced++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        thread.join(TimeUnit.SECONDS.toMillis(10));
        producer.close(Duration.ofSeconds(5));
    }
}
