package dev.unroll.launch;

import dev.unroll.format.EventAvro;
import dev.unroll.format.SequenceFormat;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.EmbeddedKafka;
import dev.unroll.kafka.FilePublisher;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.model.Network;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ModelLayout;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What {@code replay} runs the streaming job over, bounded: a recorded file published to a topic
 * of an embedded broker, or what a live topic holds now (with private output topics, so that a
 * replay never writes into the live job's parameter history).
 */
public final class Replay implements AutoCloseable {
    private final EmbeddedKafka broker;
    private final KafkaConnectors kafka;
    private final Pipeline.Topics topics;
    private final OffsetsInitializer from;
    private final long records;
    private final BiFunction<Integer, Long, Long> lineOf;

    private Replay(EmbeddedKafka broker, KafkaConnectors kafka, Pipeline.Topics topics, OffsetsInitializer from,
                   long records, BiFunction<Integer, Long, Long> lineOf) {
        this.broker = broker;
        this.kafka = kafka;
        this.topics = topics;
        this.from = from;
        this.records = records;
        this.lineOf = lineOf;
    }

    /**
     * A file published, one record per line, to the job's input topic on an embedded broker. Per-key
     * models and events go to a partition per subtask, each key's lines in one of them in file order;
     * sequences of one model to one partition, whose order makes the batches. A file is JSON and the
     * topic gets the job's record format (stream.sequenceFormat, or events.format).
     */
    public static Replay ofFile(JobConfig config, TrainingSpec spec, Network initial, Path file) throws IOException {
        EmbeddedKafka broker = EmbeddedKafka.start();
        try {
            KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
            Pipeline.Topics topics = Pipeline.Topics.of(config);
            SequenceFormat format = config.get(JobConfig.SEQUENCE_FORMAT);
            Function<String, byte[]> value = spec.events() != null ? EventAvro.records(spec.events())
                    : line -> format.recordOf(line, initial, config.limits());
            if (ModelLayout.of(spec).partitionsByKey() || spec.events() != null) {
                broker.createTopic(topics.sequences(), spec.shards());
                long[][] lines = FilePublisher.publishKeyedLines(kafka.bulkProducerProperties(), topics.sequences(), file,
                        spec.shards(), spec.events() != null ? spec.events().fields().keyField() : "key", value);
                return new Replay(broker, kafka, topics, OffsetsInitializer.earliest(),
                        Arrays.stream(lines).mapToLong(l -> l.length).sum(),
                        (partition, offset) -> lines[partition][offset.intValue()]);
            }
            broker.createTopic(topics.sequences(), 1);
            long records = FilePublisher.publishLines(kafka.bulkProducerProperties(), topics.sequences(), file, value);
            return new Replay(broker, kafka, topics, OffsetsInitializer.earliest(), records, (partition, offset) -> offset + 1);
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * What {@code topic} holds now, from {@code fromOffsets} (partition to offset; a partition not
     * named from its beginning), into private {@code …replay-<time>} output topics.
     */
    public static Replay ofTopic(JobConfig config, String bootstrap, String topic, Map<Integer, Long> fromOffsets) {
        KafkaConnectors kafka = KafkaConnectors.of(bootstrap, config);
        kafka.requireReachable();
        String run = "unroll." + config.name() + ".replay-" + System.currentTimeMillis();
        Pipeline.Topics topics = new Pipeline.Topics(topic, run + ".parameters", run + ".dead-letters");
        OffsetsInitializer from = OffsetsInitializer.earliest();
        if (!fromOffsets.isEmpty()) {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            fromOffsets.forEach((partition, offset) -> offsets.put(new TopicPartition(topic, partition), offset));
            from = OffsetsInitializer.offsets(offsets);
        }
        return new Replay(null, kafka, topics, from, KafkaClients.countRecords(kafka.consumerProperties(), topic,
                fromOffsets), null);
    }

    /** The records to replay. */
    public long records() {
        return records;
    }

    public Pipeline.Topics topics() {
        return topics;
    }

    /** The file's line number of the record at (partition, offset); null for a topic. */
    public BiFunction<Integer, Long, Long> lineOf() {
        return lineOf;
    }

    /** Starts the job over the records, bounded at the input's end now, with a checkpoint every {@code checkpointMs} (0: none). */
    public Pipeline start(TrainingSpec spec, JobConfig config, LocalFlink.Monitoring monitoring, long checkpointMs)
            throws Exception {
        return Pipeline.start(LocalFlink.create(spec.shards(), monitoring.configuration()), spec, kafka, topics, 1,
                Pipeline.Options.replay(from, config).checkpointingEvery(checkpointMs));
    }

    /**
     * The dead letters of the replay, reading again until there are at least {@code atLeast} (an
     * at-least-once sink may still be delivering them) or {@code wait} has passed.
     */
    public List<DeadLetter> deadLetters(long atLeast, Duration wait) throws InterruptedException {
        return KafkaClients.readAtLeast(kafka.consumerProperties(), topics.deadLetters(), atLeast, wait).stream()
                .map(DeadLetterSerializer::read).toList();
    }

    @Override
    public void close() {
        if (broker != null) {
            broker.close();
        }
    }
}
