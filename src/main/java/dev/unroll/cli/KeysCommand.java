package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Prints every job-file key with its default and meaning: as plain text, or as the Markdown table
 * that docs/job-files.md holds between its markers ({@code --update-page} rewrites it there, and
 * KeysCommandTest fails when the committed page differs from {@link JobConfig#KEYS}).
 */
@Command(name = "keys", description = "Lists the job-file keys, their defaults and what they mean.")
final class KeysCommand implements Callable<Integer> {
    static final String BEGIN = "<!-- keys: generated from JobConfig.KEYS by `unroll keys --update-page`; do not edit by hand -->";
    static final String END = "<!-- end of generated keys -->";
    /** The one command that brings the page up to date with the code, from the repository root. */
    static final String REGENERATE = "mvn -B -q -o package -DskipTests && java -jar target/unroll.jar keys --update-page docs/job-files.md";

    @Option(names = "--markdown", description = "print a Markdown table, as docs/job-files.md shows it")
    boolean markdown;

    @Option(names = "--update-page", paramLabel = "PAGE.md",
            description = "replace the table between the page's generated-keys markers with the current one")
    Path page;

    @Override
    public Integer call() throws IOException {
        if (page != null) {
            String text;
            try {
                text = Files.readString(page);
            } catch (NoSuchFileException e) {
                System.err.println(page + ": no such file");
                return Main.BAD_INPUT;
            }
            String updated = updated(text);
            if (updated == null) {
                System.err.println(page + ": no generated-keys markers (a line " + BEGIN + " and later a line " + END + ")");
                return Main.BAD_INPUT;
            }
            if (!updated.equals(text)) {
                Files.writeString(page, updated);
            }
            System.err.println("unroll keys: " + page + (updated.equals(text) ? " was up to date" : " updated"));
            return 0;
        }
        System.out.print(markdown ? markdown() : plain());
        return 0;
    }

    /** The keys as a Markdown table, one row per key, the free sections last. */
    static String markdown() {
        StringBuilder out = new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
        for (Row r : rows()) {
            out.append("| `").append(r.path()).append("` | ").append(r.defaultValue() == null ? "" : "`" + r.defaultValue() + "`")
                    .append(" | ").append(r.doc().replace("|", "\\|")).append(" |\n");
        }
        return out.toString();
    }

    /** The keys for a terminal: the key and its default on one line, what it means indented below. */
    static String plain() {
        StringBuilder out = new StringBuilder();
        for (Row r : rows()) {
            out.append(r.path()).append(r.defaultValue() == null ? "" : " (default " + r.defaultValue() + ")")
                    .append("\n    ").append(r.doc()).append('\n');
        }
        return out.toString();
    }

    private record Row(String path, Object defaultValue, String doc) {
    }

    /** Every declared key, then the two sections whose contents their users check. */
    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (JobKey<?> key : JobConfig.KEYS) {
            rows.add(new Row(key.path(), key.defaultValue(), key.doc()));
        }
        rows.add(new Row("task.*", null, "the sequence generator of `produce` (see the job files in jobs/)"));
        rows.add(new Row("kafka.*", null, "Kafka client properties (for example security.protocol) passed to every client"));
        return rows;
    }

    /** The page with the current table between its markers, or null when it has no markers in order. */
    static String updated(String page) {
        int begin = page.indexOf(BEGIN + "\n");
        int end = page.indexOf(END, begin + 1);
        if (begin < 0 || end < 0) {
            return null;
        }
        return page.substring(0, begin) + BEGIN + "\n" + markdown() + page.substring(end);
    }
}
