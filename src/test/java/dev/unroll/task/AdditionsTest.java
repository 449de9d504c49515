package dev.unroll.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.job.JobConfig;
import dev.unroll.model.Network;
import dev.unroll.model.Prediction;
import dev.unroll.model.Sequence;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * Questions and answers of binary addition against the training sequences of the same sums: a
 * network whose output unit held exactly each training target would be read as the right sum.
 */
class AdditionsTest {
    @Test
    void aPerfectOutputReadsAsTheSum() {
        JobConfig config = JobConfig.read(Path.of("jobs", "binary-addition.yaml"));
        Network net = config.loadNetwork();
        BinaryAddition task = (BinaryAddition) Tasks.fromJob(config, net);
        Additions additions = Additions.of(task, net);
        assertEquals(8, additions.bits());
        int column = 0; // the job's network names one output unit
        for (long a = 0; a < 256; a += 17) {
            for (long b = 0; b < 256; b += 13) {
                Sequence question = additions.question("q", a, b);
                Sequence training = task.of("t", a, b, 8);
                assertEquals(training.steps(), question.steps());
                assertEquals(0, question.targetTermCount(), "a question has no answer in it");
                for (int t = 0; t < question.steps(); t++) {
                    assertEquals(training.input(t, 0), question.input(t, 0));
                    assertEquals(training.input(t, 1), question.input(t, 1));
                }
                double[] outputs = new double[question.steps()];
                for (Sequence.Target target : training.targets()) {
                    outputs[target.t() - 1] = target.values()[column];
                }
                assertEquals(a + b, additions.answer(new Prediction("q", 1, outputs, false, 0)), a + " + " + b);
                outputs[training.targets().get(0).t() - 1] = 1 - outputs[training.targets().get(0).t() - 1];
                assertEquals((a + b) ^ 1, additions.answer(new Prediction("q", 1, outputs, false, 0)), "bit 0 flipped");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> additions.question("q", 256, 1));
    }

    @Test
    void otherTasksHaveNoAdditions() {
        JobConfig config = JobConfig.read(Path.of("jobs", "attractor.yaml"));
        Network net = config.loadNetwork();
        assertNull(Additions.of(Tasks.fromJob(config, net), net));
    }
}
