package dev.unroll.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unroll.events.Assembler;
import dev.unroll.events.Cut;
import dev.unroll.events.EventJobs;
import dev.unroll.job.JobConfig;
import dev.unroll.kafka.DeadLetterSerializer;
import dev.unroll.kafka.KafkaClients;
import dev.unroll.kafka.ParameterRecords;
import dev.unroll.kafka.PredictionSerializer;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.launch.LocalFlink;
import dev.unroll.launch.Pipeline;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.TestSupport;
import dev.unroll.record.EventRecord;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live job on raw events through a real broker, with one model and per key: each key's
 * windows are answered as they close, with the key, the window's event-time range and the version
 * that answered (the key's own, per key), each equal to the forward pass of that version; a record that is not an event and an event that comes
 * after the watermark are dead-lettered while the job goes on.
 */
class LiveEventsTest extends BrokerTestBase {
    private static final long BOUND = 2_000;

    @ParameterizedTest(name = "{0} models")
    @ValueSource(strings = {"one", "per-key"})
    @Timeout(180)
    void windowsAreAnsweredAsTheyCloseAndBadOrLateEventsDeadLettered(String models) throws Exception {
        JobConfig config = EventJobs.write(dir, EventJobs.COUNT, BOUND, models,
                "stream:\n  parallelism: 2\n  checkpointIntervalMs: 0\n");
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, 2);
        Pipeline.Topics topics = Pipeline.Topics.of(config);
        List<String> events = EventJobs.readings(3, 40, BOUND, 21);

        Assembler offline = spec.events().assembler();
        ParseEvents parse = new ParseEvents(spec);
        for (int k = 0; k < events.size(); k++) {
            EventRecord r = parse.parse(new RawRecord("file", 0, k, null, events.get(k).getBytes(StandardCharsets.UTF_8)));
            offline.add(r.event);
        }
        offline.finish();
        Map<String, Cut> windows = new HashMap<>();
        offline.windows().forEach(w -> windows.put(w.sequence().id(), w));

        KafkaConnectors kafka = KafkaConnectors.of(broker.bootstrapServers(), config);
        try (Pipeline pipeline = Pipeline.start(LocalFlink.create(2), spec, kafka, topics, 2, Pipeline.Options.live(config));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.producerProps(broker.bootstrapServers()))) {
            for (String e : events) {
                producer.send(new ProducerRecord<>(topics.sequences(), utf8(TestSupport.json(e).get("device").asText()), utf8(e)));
            }
            producer.send(new ProducerRecord<>(topics.sequences(), utf8("dev-0"), utf8("{\"device\":\"dev-0\",\"ts\":1}"))).get();
            // the windows that close while the newest events wait for the watermark
            List<ConsumerRecord<byte[], byte[]>> answers = awaitRecords(topics.serving().predictions(), windows.size() - 12);
            assertTrue(answers.size() >= windows.size() - 12, answers.size() + " of " + windows.size() + " windows answered");
            // by now the watermark is far past the first readings: one of them again is late
            producer.send(new ProducerRecord<>(topics.sequences(), utf8("dev-1"), utf8(events.get(1)))).get();
            List<ConsumerRecord<byte[], byte[]>> dead = awaitRecords(topics.deadLetters(), 2);
            assertEquals(2, dead.size());
            assertTrue(header(dead.get(0), DeadLetterSerializer.REASON).contains("temp: missing"));
            assertTrue(header(dead.get(1), DeadLetterSerializer.REASON).contains(": late: event time"));
            assertEquals(events.get(1), new String(dead.get(1).value(), StandardCharsets.UTF_8), "the late event as it came");

            Map<String, ParameterVersion> published = published(config, net, answers, spec.isPerKey());
            Set<String> answered = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> a : answers) {
                JsonNode p = TestSupport.json(new String(a.value(), StandardCharsets.UTF_8));
                String id = p.get("id").asText();
                Cut window = windows.get(id);
                assertNotNull(window, "a window of the events: " + id);
                assertTrue(answered.add(id), "each window once: " + id);
                assertEquals(window.key(), new String(a.key(), StandardCharsets.UTF_8), "keyed by the event key");
                assertTrue(id.startsWith(window.key() + "@"), id);
                assertEquals(topics.sequences(), p.get("request").get("topic").asText(), "names the events topic");
                long version = p.get("version").asLong();
                assertEquals(Long.toString(version), header(a, PredictionSerializer.VERSION));
                String model = spec.isPerKey() ? window.key() : null;
                Network at = version == 0 ? net : net.withParameters(published.get(model + "/" + version).parameters());
                Prediction expected = Prediction.of(at, window.sequence());
                JsonNode rows = p.get("outputs");
                assertEquals(window.sequence().steps(), rows.size());
                for (int t = 1; t <= rows.size(); t++) {
                    assertTrue(TestSupport.close(rows.get(t - 1).get(0).asDouble(), expected.output(t, 0), 1e-12),
                            id + " step " + t);
                }
            }
        }
    }

    /**
     * Every version published, by key (one model: the key null) and number, read until it holds
     * every version the answers name: the test reads the topic while the job goes on writing it.
     */
    private static Map<String, ParameterVersion> published(JobConfig config, Network net,
                                                           List<ConsumerRecord<byte[], byte[]>> answers, boolean perKey) {
        Set<String> named = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> a : answers) {
            long version = TestSupport.json(new String(a.value(), StandardCharsets.UTF_8)).get("version").asLong();
            if (version > 0) {
                named.add((perKey ? new String(a.key(), StandardCharsets.UTF_8) : null) + "/" + version);
            }
        }
        ParameterRecords records = new ParameterRecords(net, config.limits());
        Map<String, ParameterVersion> published = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(broker.bootstrapServers(),
                    config.get(JobConfig.PARAMETERS_TOPIC), Duration.ofSeconds(30))) {
                ParameterVersion v = records.read(r);
                published.put(v.key + "/" + v.version, v);
            }
        } while (!published.keySet().containsAll(named) && System.nanoTime() < deadline);
        return published;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
