package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobKey;
import picocli.CommandLine.Command;

/** Prints every job-file key with its default and meaning, as a Markdown table. */
@Command(name = "keys", description = "Lists the job-file keys, their defaults and what they mean.")
final class KeysCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("| key | default | meaning |");
        System.out.println("| --- | --- | --- |");
        for (JobKey<?> key : JobConfig.KEYS) {
            Object d = key.defaultValue();
            System.out.println("| `" + key.path() + "` | " + (d == null ? "" : "`" + d + "`") + " | " + key.doc() + " |");
        }
        System.out.println("| `task.*` | | the sequence generator of `produce` (see the job files in jobs/) |");
        System.out.println("| `kafka.*` | | Kafka client properties (for example security.protocol) passed to every client |");
    }
}
