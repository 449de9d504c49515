package dev.unroll.stream;

import dev.unroll.format.SequenceJson;
import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;
import dev.unroll.model.Trainer;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import dev.unroll.task.Tasks;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving gate on a run that diverges: binary addition at learning rate 2 with momentum 0.9
 * (the job's own rate is 0.1) learns a little, then its loss runs away. The streaming job trains
 * it on a MiniCluster; its versions, in the order published, reach the prediction operator with a
 * request after each. The versions that answer are the ones the gate's rule picks from the
 * offline trainer's figures, and once the loss has run away the last good version keeps
 * answering, with the newer ones held back.
 */
class ServingGateJobTest {
    private static final int SEQUENCES = 960;
    private static final double FACTOR = 1.5;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void servingKeepsTheLastGoodVersionWhileTrainingDiverges() throws Exception {
        Files.copy(Path.of("jobs", "binary-addition.network.json"), dir.resolve("binary-addition.network.json"));
        String job = Files.readString(Path.of("jobs", "binary-addition.yaml"))
                .replace("learningRate: 0.1", "learningRate: 2.0")
                + "serving:\n  gateFactor: " + FACTOR + "\n";
        JobConfig config = JobConfig.read(Files.writeString(dir.resolve("diverging.yaml"), job));
        Network net = config.loadNetwork();
        List<String> lines = new ArrayList<>();
        Iterator<Sequence> generated = Tasks.generator(Tasks.fromJob(config, net), 1, null);
        for (int k = 0; k < SEQUENCES; k++) {
            lines.add(SequenceJson.write(generated.next()));
        }

        // offline: every version's network, and the loss of the batch measured at it
        Trainer trainer = config.trainer(net);
        List<Network> networks = new ArrayList<>(List.of(net));
        Map<Long, Double> measured = new LinkedHashMap<>();
        for (String line : lines) {
            trainer.add(SequenceJson.parse(line, "data", net, config.limits()));
            if (trainer.version() == networks.size()) {
                networks.add(trainer.network());
                measured.put(trainer.version() - 1, trainer.figures().batchLoss());
            }
        }

        InMemoryTopic<ParameterVersion> parameters = new InMemoryTopic<>();
        InMemoryTopic<DeadLetter> deadLetters = new InMemoryTopic<>();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setBufferTimeout(0);
        GeneratorFunction<Long, RawRecord> record = k -> new RawRecord("in-memory", 0, k, null,
                lines.get(k.intValue()).getBytes(StandardCharsets.UTF_8));
        TrainingSpec spec = TrainingSpec.of(config, net, 2);
        TrainingJob.build(env, spec, new DataGeneratorSource<>(record, lines.size(), TypeInformation.of(RawRecord.class)),
                InMemoryTopic.feed(parameters), parameters.sink(), deadLetters.sink(), null);
        env.execute("diverging");

        String request = lines.get(0);
        Sequence asked = SequenceJson.parse(request, "request", net, config.limits());
        BroadcastOperatorTestHarness<RawRecord, ParameterVersion, PredictionRecord> serving =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new PredictSequences(spec), PredictSequences.GATE);
        // the gate's rule, written out: version m answers once measured with a loss <= FACTOR x the best so far
        long answering = 0;
        double best = Double.NaN;
        long heldBack = -1;
        List<Long> expected = new ArrayList<>();
        List<Long> expectedHeldBack = new ArrayList<>();
        int offset = 0;
        long seen = 0;
        for (ParameterVersion v : parameters.records()) {
            serving.processBroadcastElement(v, 0);
            if (v.version <= seen) {
                continue;   // the end of the input publishes the last version again, marked last
            }
            seen = v.version;
            long m = v.version - 1;
            double loss = measured.get(m);
            if (m == answering && Double.isNaN(best)) {
                best = loss;
            } else if (m > answering && (Double.isNaN(best) || loss <= FACTOR * best)) {
                answering = m;
                best = Math.min(best, loss);
            } else if (m > answering) {
                heldBack = m;
            }
            expected.add(answering);
            expectedHeldBack.add(heldBack > answering ? heldBack : -1);
            serving.processElement(new RawRecord("requests", 0, offset++, null, request.getBytes(StandardCharsets.UTF_8)), 0);
        }
        List<PredictionRecord> answers = serving.extractOutputValues();
        serving.close();

        assertEquals(SEQUENCES / 16, seen, "one version a batch");
        assertEquals(expected, answers.stream().map(a -> a.version).toList(), "the versions that answered");
        assertEquals(expectedHeldBack, answers.stream().map(a -> a.heldBack).toList(), "the versions held back");
        PredictionRecord last = answers.get(answers.size() - 1);
        long newest = parameters.records().get(parameters.records().size() - 1).version;
        assertTrue(answers.stream().map(a -> a.version).distinct().count() >= 3, "the gate let better versions through: "
                + expected);
        assertTrue(last.version < newest - 20, "an old version still answers: " + last.version + " of " + newest);
        assertTrue(last.heldBack > last.version, "and says a newer one was held back");
        double runaway = measured.entrySet().stream().filter(e -> e.getKey() > last.version).mapToDouble(Map.Entry::getValue)
                .max().orElseThrow();
        assertTrue(runaway > 5 * best, "the loss ran away: " + runaway + " against the best " + best);
        double[] outputs = Prediction.of(networks.get((int) last.version), asked).outputs();
        for (int k = 0; k < outputs.length; k++) {
            assertEquals(outputs[k], last.outputs[k], 1e-9 * Math.max(1, Math.abs(outputs[k])),
                    "the answer is the last good version's, as train made it");
        }
    }
}
