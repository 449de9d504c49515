package dev.unroll.task;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds the task a job's {@code task} section describes, and turns a seed into a reproducible
 * stream of its sequences.
 *
 * <p>The section names its type ({@code task.type}) and that type's keys; any other key, a value
 * of the wrong type or out of range, or a network the task cannot use is a {@link JobException}
 * naming {@code task.KEY}.
 */
public final class Tasks {
    /** The task types, as written in {@code task.type}. */
    public static final List<String> TYPES = List.of(BinaryAddition.TYPE, Attractor.TYPE, InitialState.TYPE,
            PerKeyInitialState.TYPE);

    private Tasks() {
    }

    public static Task fromJob(JobConfig config, Network net) {
        return fromSection(config.task(), config.file().toString(), net);
    }

    /** @param source the job file, for error messages */
    public static Task fromSection(Map<String, Object> section, String source, Network net) {
        TaskSection s = new TaskSection(source, section);
        if (section.isEmpty()) {
            throw new JobException(source, "task", "missing: the job needs a task section to generate sequences (task.type: one of "
                    + String.join(", ", TYPES) + ")");
        }
        String type = s.text("type", null);
        if (type == null) {
            throw s.fail("type", "missing: one of " + String.join(", ", TYPES));
        }
        return switch (type) {
            case BinaryAddition.TYPE -> BinaryAddition.from(s, net);
            case Attractor.TYPE -> Attractor.from(s, net);
            case InitialState.TYPE -> InitialState.from(s, net);
            case PerKeyInitialState.TYPE -> PerKeyInitialState.from(s, net);
            default -> throw s.fail("type", "must be one of " + String.join(", ", TYPES) + ", found \"" + type + "\"");
        };
    }

    /** The ids of a job's sequences from one seed: {@code NAME-SEED-INDEX}. */
    public static String idPrefix(JobConfig config, long seed) {
        return config.name() + "-" + seed;
    }

    /**
     * The endless stream of sequences from {@code seed}. Sequence k draws from the k-th child
     * generator split off a {@code SplittableRandom(seed)}, so it depends on the seed and k only,
     * not on how many numbers the earlier ones used. Ids are {@code idPrefix-k} (none when the
     * prefix is null).
     */
    public static Iterator<Sequence> generator(Task task, long seed, String idPrefix) {
        SplittableRandom root = new SplittableRandom(seed);
        return new Iterator<>() {
            private long index;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Sequence next() {
                String id = idPrefix == null ? null : idPrefix + "-" + index;
                index++;
                return task.generate(root.split(), id);
            }
        };
    }

    /** The first {@code count} sequences of {@link #generator}, for held-out sets and tests. */
    public static List<Sequence> sample(Task task, long seed, int count, String idPrefix) {
        List<Sequence> out = new ArrayList<>(count);
        Iterator<Sequence> it = generator(task, seed, idPrefix);
        for (int k = 0; k < count; k++) {
            out.add(it.next());
        }
        return out;
    }
}
