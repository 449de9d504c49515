package dev.unroll.task;

import dev.unroll.model.Sequence;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * One of the lecture's experiments as a generator of training cases. A task is built for one
 * network ({@link Tasks#fromJob}), so every sequence it makes validates against that network.
 * Generation draws only from the generator it is given: the same generator state gives the same
 * sequence, which is what makes {@code produce --seed S} reproducible byte for byte.
 */
public interface Task {
    /** The task type, as written in the job's {@code task.type}. */
    String type();

    /** One sequence, drawn from {@code rnd} alone; {@code id} may be null. */
    Sequence generate(SplittableRandom rnd, String id);

    /** One sequence without an id. */
    default Sequence generate(SplittableRandom rnd) {
        return generate(rnd, null);
    }

    /** The settings in force, defaults filled in (for logs and reports). */
    Map<String, Object> settings();
}
