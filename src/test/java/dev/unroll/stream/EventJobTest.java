package dev.unroll.stream;

import dev.unroll.events.Assembler;
import dev.unroll.events.Cut;
import dev.unroll.events.EventJobs;
import dev.unroll.job.JobConfig;
import dev.unroll.model.KeyedNetwork;
import dev.unroll.model.Network;
import dev.unroll.model.PerKeyTrainer;
import dev.unroll.model.Trainer;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.EventRecord;
import dev.unroll.record.NewestPerKey;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The events input on a MiniCluster with sources and sinks in memory: readings of several devices,
 * out of order within the bound and with two bad records among them, cut and trained by the
 * stream at P = 1..3, end with the parameters of the offline rule (Assembler, then the trainer).
 */
class EventJobTest {
    private static final long BOUND = 2_500;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} windows, P={1}, {2} models")
    @CsvSource({"count, 1, one", "count, 3, one", "session, 2, one", "count, 2, per-key", "session, 3, per-key"})
    @Timeout(120)
    void theStreamCutsAndTrainsAsTheOfflineRule(String window, int parallelism, String models) throws Exception {
        JobConfig config = EventJobs.write(dir, window.equals("count") ? EventJobs.COUNT : EventJobs.SESSION, BOUND, models);
        Network net = config.loadNetwork();
        TrainingSpec spec = TrainingSpec.of(config, net, parallelism);
        List<String> records = new ArrayList<>(EventJobs.readings(5, 70, BOUND, 11L * parallelism));
        records.add(7, "{\"device\":\"dev-1\",\"ts\":1765000003000}");
        records.add(40, "not json");

        Assembler offline = spec.events().assembler();
        ParseEvents parse = new ParseEvents(spec);
        for (int k = 0; k < records.size(); k++) {
            EventRecord r = parse.parse(raw(records, k));
            if (r.event != null) {
                offline.add(r.event);
            }
        }
        List<Cut> cuts = offline.finish();
        assertEquals(0, offline.late());

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setBufferTimeout(0);
        GeneratorFunction<Long, EventRecord> read = k -> parse.parse(raw(records, k.intValue()));
        TrainingJob.build(env, spec, new TrainingInput.Events(new DataGeneratorSource<>(read, records.size(),
                        TypeInformation.of(EventRecord.class)), false),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        env.execute("events " + window + " P=" + parallelism + " " + models);

        assertEquals(2, deadLetters.records().size(), "the two records that are not events");
        assertTrue(deadLetters.records().stream().allMatch(d -> d.stage.equals("events")));
        if (spec.isPerKey()) {
            PerKeyTrainer reference = new PerKeyTrainer(() -> config.trainer(net));
            cuts.forEach(c -> reference.add(c.sequence()));
            NewestPerKey newest = new NewestPerKey();
            parameters.records().forEach(newest::add);
            List<KeyedNetwork> expected = reference.finish();
            assertEquals(expected.size(), newest.keys());
            for (KeyedNetwork e : expected) {
                ParameterVersion got = newest.get(e.key());
                assertEquals(e.version(), got.version, e.key() + " versions");
                RecoveryTest.assertClose(e.network().parameters().weights, got.weights, e.key() + " weights");
                RecoveryTest.assertClose(e.network().parameters().initialState, got.initialState, e.key() + " initialState");
            }
        } else {
            Trainer reference = config.trainer(net);
            cuts.forEach(c -> reference.add(c.sequence()));
            reference.finish();
            List<ParameterVersion> versions = parameters.records();
            ParameterVersion last = versions.get(versions.size() - 1);
            assertTrue(last.last);
            assertEquals(reference.version(), last.version, "versions");
            assertEquals(cuts.size(), last.sequencesTrained, "each sequence cut once");
            RecoveryTest.assertClose(reference.network().parameters().weights, last.weights, "weights");
            RecoveryTest.assertClose(reference.network().parameters().biases, last.biases, "biases");
            RecoveryTest.assertClose(reference.network().parameters().initialState, last.initialState, "initialState");
        }
    }

    private static RawRecord raw(List<String> records, int k) {
        return new RawRecord("events", 0, k, null, records.get(k).getBytes(StandardCharsets.UTF_8));
    }
}
