package dev.unroll.task;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Prequential;
import dev.unroll.model.Sequence;
import dev.unroll.model.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The offline trainer's prequential figures against a recomputation that shares none of its
 * sums: every sequence of batch k scored on its own ({@link Evaluation#score}) at version
 * max(0, k - S), kept from the run, then the window and the fading average added up per the
 * definitions of docs/model-quality.md.
 */
class PrequentialRecomputationTest {
    @TempDir
    Path dir;

    @Test
    void theTrainersFiguresAreTheBatchesScoredAtTheVersionsThatHadNotSeenThem() throws Exception {
        int batchSize = 16;
        int staleness = 2;
        int window = 100;
        double alpha = 0.995;
        Files.copy(Path.of("jobs", "binary-addition.network.json"), dir.resolve("net.json"));
        String job = Files.readString(Path.of("jobs", "binary-addition.yaml"))
                .replace("network: binary-addition.network.json", "network: net.json")
                .replace("momentum: 0.9", "momentum: 0.5")
                .replace("training:\n", "training:\n  staleness: " + staleness + "\n")
                + "quality:\n  window: " + window + "\n  fadingFactor: " + alpha + "\n";
        JobConfig config = JobConfig.read(Files.writeString(dir.resolve("job.yaml"), job));
        Network initial = config.loadNetwork();
        Trainer trainer = config.trainer(initial);
        Iterator<Sequence> data = Tasks.generator(Tasks.fromJob(config, initial), 3, null);

        List<Network> versions = new ArrayList<>(List.of(initial));
        List<List<Sequence>> batches = new ArrayList<>();
        List<Prequential.Figures> figures = new ArrayList<>();
        List<Sequence> batch = new ArrayList<>();
        while (batches.size() < 120) {
            Sequence seq = data.next();
            batch.add(seq);
            trainer.add(seq);
            if (trainer.version() == versions.size()) {
                versions.add(trainer.network());
                batches.add(batch);
                batch = new ArrayList<>();
                figures.add(trainer.figures());
            }
        }

        List<double[]> scored = new ArrayList<>();   // per batch: sequences, loss, binary targets, right
        for (int k = 0; k < batches.size(); k++) {
            Evaluation.Summary s = new Evaluation.Summary(0);
            double loss = 0;
            for (Sequence seq : batches.get(k)) {
                Evaluation.Score score = Evaluation.score(versions.get(Math.max(0, k - staleness)), seq, 0);
                s.add(score);
                loss += score.loss();
            }
            scored.add(new double[] {batches.get(k).size(), loss, s.binaryTargets(), s.binaryRight()});
            Prequential.Figures f = figures.get(k);
            close(loss / batchSize, f.batchLoss(), "batch loss " + k);
            close((double) s.binaryRight() / s.binaryTargets(), f.batchAccuracy(), "batch accuracy " + k);

            double[] w = new double[4];
            for (int j = k; j >= 0 && w[0] < window; j--) {
                for (int c = 0; c < 4; c++) {
                    w[c] += scored.get(j)[c];
                }
            }
            assertEquals((long) w[0], f.windowSequences(), "window " + k);
            close(w[1] / w[0], f.windowLoss(), "window loss " + k);
            close(w[3] / w[2], f.windowAccuracy(), "window accuracy " + k);

            double[] faded = new double[4];
            double after = 0;
            for (int j = k; j >= 0; j--) {
                for (int c = 0; c < 4; c++) {
                    faded[c] += Math.pow(alpha, after) * scored.get(j)[c];
                }
                after += scored.get(j)[0];
            }
            close(faded[1] / faded[0], f.fadingLoss(), "fading loss " + k);
            close(faded[3] / faded[2], f.fadingAccuracy(), "fading accuracy " + k);
        }
        assertTrue(figures.get(119).windowLoss() < figures.get(6).windowLoss(), "the run learned: the window's loss fell");
    }

    private static void close(double expected, double got, String what) {
        assertTrue(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), what + ": " + got + ", recomputed "
                + expected);
    }
}
