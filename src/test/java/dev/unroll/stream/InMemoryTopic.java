package dev.unroll.stream;

import dev.unroll.record.ParameterVersion;
import dev.unroll.record.VersionFeed;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A topic inside this JVM, for job tests on a MiniCluster: a sink appends to it, and as a
 * {@link VersionFeed} each reader polls it from the end it saw when it opened, as a BPTT instance
 * reads the parameters topic. Instances are found by name, so the sink and the feed Flink
 * serializes into the job reach the same list.
 */
final class InMemoryTopic<T> implements Serializable {
    private static final Map<String, List<Object>> TOPICS = new ConcurrentHashMap<>();

    private final String name = UUID.randomUUID().toString();

    InMemoryTopic() {
        TOPICS.put(name, new ArrayList<>());
    }

    @SuppressWarnings("unchecked")
    List<T> records() {
        List<Object> topic = TOPICS.get(name);
        synchronized (topic) {
            return (List<T>) new ArrayList<>(topic);
        }
    }

    void append(T record) {
        List<Object> topic = TOPICS.get(name);
        synchronized (topic) {
            topic.add(record);
            topic.notifyAll();
        }
    }

    Sink<T> sink() {
        return new TopicSink<>(this);
    }

    /** This topic as the BPTT instances' version feed (it must hold parameter versions). */
    static VersionFeed feed(InMemoryTopic<ParameterVersion> topic) {
        return spec -> new VersionFeed.Reader() {
            private int position = topic.records().size();

            @Override
            public List<ParameterVersion> poll(Duration timeout) {
                List<Object> records = TOPICS.get(topic.name);
                synchronized (records) {
                    if (records.size() == position) {
                        try {
                            records.wait(timeout.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted", e);
                        }
                    }
                    List<ParameterVersion> out = new ArrayList<>();
                    for (; position < records.size(); position++) {
                        out.add((ParameterVersion) records.get(position));
                    }
                    return out;
                }
            }

            @Override
            public void close() {
            }
        };
    }

    private record TopicSink<T>(InMemoryTopic<T> topic) implements Sink<T> {
        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context context) {
                    topic.append(element);
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
