package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.format.Json;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import dev.unroll.format.SequenceFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Held-out sequences for scoring: with per-key models each must name its key, and a key may select its own. */
final class HeldOut {
    private HeldOut() {
    }

    /**
     * The sequences of {@code data}; with {@code key}, only that key's.
     *
     * @throws ModelException naming the line of a sequence without a key (per-key jobs), or when no sequence has {@code key}
     */
    static List<Sequence> read(JobConfig config, Network initial, Path data, String key) {
        List<Sequence> all = new ArrayList<>();
        try (SequenceFile file = new SequenceFile(data, initial, config.limits())) {
            ModelCommands.of(config).keyed(file).forEach(all::add);
        }
        if (key == null) {
            return all;
        }
        List<Sequence> own = all.stream().filter(s -> key.equals(s.key())).toList();
        if (own.isEmpty()) {
            throw new ModelException(data.toString(), "", "no sequence of key " + Json.write(key));
        }
        return own;
    }
}
