package dev.unroll.kafka;

import dev.unroll.io.LoopbackPorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) listening on 127.0.0.1 only.
 *
 * <p>{@code KafkaRaftServer} is used rather than Kafka's test kit because it binds exactly the
 * listeners it is given; the test kit binds 0.0.0.0.
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** Largest record the broker, the topics and {@link KafkaClients} accept: big parameter records fit. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private static final String HOST = "127.0.0.1";
    private static final long TOPIC_READY_TIMEOUT_MS = 30_000;

    /** Holds server.properties, and the data too unless the caller gave a log dir; deleted on close. */
    private final Path workDir;
    private final Path logDir;
    private final int port;
    private final int controllerPort;
    private final Path configFile;
    private final KafkaConfig config;
    private final List<String> formatArguments;
    /** what this class's own admin client needs besides the servers (credentials, on a secured broker) */
    private final Properties clientProperties;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path workDir, Path logDir, int port) {
        this(workDir, logDir, port == 0 ? LoopbackPorts.free() : port, 0, Map.of(), List.of(), new Properties());
    }

    private EmbeddedKafka(Path workDir, Path logDir, int port, int controllerPort, Map<String, String> overrides,
                          List<String> formatArguments, Properties clientProperties) {
        this.workDir = workDir;
        this.logDir = logDir;
        this.port = port;
        this.controllerPort = controllerPort == 0 ? LoopbackPorts.freeOtherThan(port) : controllerPort;
        this.formatArguments = List.copyOf(formatArguments);
        this.clientProperties = clientProperties;
        Properties props = serverProperties();
        props.putAll(overrides);
        this.configFile = workDir.resolve("server.properties");
        writeProperties(props, configFile);
        this.config = KafkaConfig.fromProps(props, false);
    }

    /** Starts a broker on free ports with data in a fresh temporary directory that {@link #close()} deletes. */
    public static EmbeddedKafka start() {
        Path workDir = createTempDir();
        return start(workDir, workDir.resolve("data"), 0);
    }

    /** Starts a broker on {@code port} (0 for a free one) with data in a temporary directory that {@link #close()} deletes. */
    public static EmbeddedKafka start(int port) {
        Path workDir = createTempDir();
        return start(workDir, workDir.resolve("data"), port);
    }

    /**
     * Starts a broker keeping its data in {@code logDir}, formatted on first use and reused afterwards,
     * so a new broker on the same directory sees the old topics; {@code port} 0 picks a free one.
     * {@link #close()} leaves {@code logDir} in place.
     */
    public static EmbeddedKafka start(Path logDir, int port) {
        return start(createTempDir(), logDir.toAbsolutePath(), port);
    }

    private static EmbeddedKafka start(Path workDir, Path logDir, int port) {
        return start(workDir, () -> new EmbeddedKafka(workDir, logDir, port));
    }

    /**
     * Starts a broker the caller sets up (a secured one, in tests) in a temporary directory:
     * {@code overrides} replace or add to the server properties (listeners on {@code port} and
     * {@code controllerPort} among them), {@code formatArguments} go to the storage format after
     * its own (SCRAM credentials, say), and {@code clientProperties} are what this class's own
     * admin client needs besides the servers.
     */
    static EmbeddedKafka start(int port, int controllerPort, Map<String, String> overrides, List<String> formatArguments,
                               Properties clientProperties) {
        Path workDir = createTempDir();
        return start(workDir, () -> new EmbeddedKafka(workDir, workDir.resolve("data"), port, controllerPort, overrides,
                formatArguments, clientProperties));
    }

    private static EmbeddedKafka start(Path workDir, Supplier<EmbeddedKafka> create) {
        quietBrokerLogs();
        EmbeddedKafka kafka = null;
        try {
            kafka = create.get();
            kafka.format();
            kafka.startServer();
            return kafka;
        } catch (RuntimeException e) {
            if (kafka != null) {
                kafka.close();
            } else {
                deleteRecursively(workDir);
            }
            throw e;
        }
    }

    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** Where the broker keeps its data: pass it to {@link #start(Path, int)} to bring the same data up again. */
    public Path logDir() {
        return logDir;
    }

    /**
     * Creates the topic unless it exists, allowing records up to {@link #MAX_MESSAGE_BYTES}, and waits
     * until every partition has a leader so clients can use it at once.
     */
    public void createTopic(String name, int partitions) {
        KafkaTopics.ensure(adminProperties(), name, partitions);
        try (Admin admin = admin()) {
            awaitLeaders(admin, name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        }
    }

    /** Stops the broker, keeping its data for {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** Stops the broker if it runs and starts it again on the same port with the same data. */
    public synchronized void restart() {
        stop();
        startServer();
    }

    @Override
    public void close() {
        stop();
        deleteRecursively(workDir);
    }

    private synchronized void startServer() {
        KafkaRaftServer started = new KafkaRaftServer(config, Time.SYSTEM);
        started.startup();
        server = started;
    }

    private Properties serverProperties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        // One node: internal topics cannot have more than one replica; few partitions start faster.
        for (String internal : List.of("offsets.topic", "transaction.state.log", "share.coordinator.state.topic")) {
            p.put(internal + ".replication.factor", "1");
            p.put(internal + ".min.isr", "1");
            p.put(internal + ".num.partitions", "1");
        }
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("message.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
        p.put("socket.send.buffer.bytes", KafkaClients.OS_SOCKET_BUFFERS);
        p.put("socket.receive.buffer.bytes", KafkaClients.OS_SOCKET_BUFFERS);
        return p;
    }

    /**
     * Formats the log dir unless it already holds a broker's data: a reformat would need that data's
     * cluster id, and a broker restarted on it must keep its topics.
     */
    private void format() {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("format", "-t", Uuid.randomUuid().toString(), "-c",
                configFile.toString()));
        args.addAll(formatArguments);
        int code;
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code = StorageTool.execute(args.toArray(String[]::new), print);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting " + logDir + " failed: " + out.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitLeaders(Admin admin, String name) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TOPIC_READY_TIMEOUT_MS;
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(Set.of(name)).allTopicNames().get().get(name);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("cannot describe topic " + name, e.getCause());
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("topic " + name + " has no leader after " + TOPIC_READY_TIMEOUT_MS + " ms");
            }
            Thread.sleep(20);
        }
    }

    private Admin admin() {
        return Admin.create(adminProperties());
    }

    private Properties adminProperties() {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /**
     * The broker logs every step at INFO and routine events (such as controller activation) at WARN;
     * its real failures surface as errors or as exceptions in the clients.
     */
    private static void quietBrokerLogs() {
        for (String logger : List.of("kafka", "state.change.logger", "org.apache.kafka.server", "org.apache.kafka.raft",
                "org.apache.kafka.controller", "org.apache.kafka.metadata", "org.apache.kafka.image",
                "org.apache.kafka.storage", "org.apache.kafka.coordinator", "org.apache.kafka.queue",
                "org.apache.kafka.snapshot", "org.apache.kafka.security", "org.apache.kafka.network")) {
            Configurator.setLevel(logger, Level.ERROR);
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("unroll-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeProperties(Properties props, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "embedded Kafka broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
