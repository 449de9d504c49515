package dev.unroll.cli;

import dev.unroll.launch.LiveJob;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where Kafka is, for the commands that can start their own broker (`run`, `serve`). */
final class KafkaOption {
    @Option(names = "--bootstrap-servers", description = "an existing Kafka cluster; without it an embedded broker is started")
    String bootstrap;

    @Option(names = "--port", description = "the embedded broker's port (default ${DEFAULT-VALUE}; a free one if taken)")
    int port = 9092;

    /** The embedded broker keeps its data in {@code brokerDir} (a temporary folder when null). */
    LiveJob.Kafka where(Path brokerDir) {
        return new LiveJob.Kafka(bootstrap, bootstrap == null ? brokerDir : null, port);
    }
}
