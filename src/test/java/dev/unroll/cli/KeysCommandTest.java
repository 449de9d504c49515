package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.job.JobKey;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code keys} command, and the job-file page it generates: docs/job-files.md holds exactly
 * the table that {@link JobConfig#KEYS} gives, so a key added, removed or changed without the page
 * fails the build with the command that regenerates it.
 */
class KeysCommandTest {
    private static final Path PAGE = Path.of("docs", "job-files.md");

    @Test
    void theJobFilesPageHoldsTheTableTheCodeGenerates() throws IOException {
        String page = Files.readString(PAGE);
        String current = KeysCommand.updated(page);
        assertNotNull(current, PAGE + " keeps its markers: " + KeysCommand.BEGIN + " ... " + KeysCommand.END);
        List<String> undocumented = JobConfig.KEYS.stream().map(JobKey::path).filter(p -> !page.contains("| `" + p + "` |")).toList();
        assertTrue(current.equals(page), PAGE + " differs from JobConfig.KEYS" + (undocumented.isEmpty() ? "" : ", undocumented: " + undocumented)
                + firstDifference(page, current) + "; regenerate it with: " + KeysCommand.REGENERATE);
    }

    private static String firstDifference(String page, String current) {
        List<String> was = page.lines().toList();
        List<String> is = current.lines().toList();
        for (int k = 0; k < Math.max(was.size(), is.size()); k++) {
            String a = k < was.size() ? was.get(k) : "(end of page)";
            String b = k < is.size() ? is.get(k) : "(end of table)";
            if (!a.equals(b)) {
                return ", first at line " + (k + 1) + ": the page has \"" + a + "\", the code gives \"" + b + "\"";
            }
        }
        return "";
    }

    @Test
    void updatePageRewritesTheTableBetweenTheMarkersAndNothingElse(@TempDir Path dir) throws IOException {
        Path page = Files.writeString(dir.resolve("p.md"), "# Keys\n\nintro\n" + KeysCommand.BEGIN + "\n| old | table |\n" + KeysCommand.END + "\n\nafter\n");
        TestSupport.Result r = TestSupport.run("keys", "--update-page", page.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals("# Keys\n\nintro\n" + KeysCommand.BEGIN + "\n" + KeysCommand.markdown() + KeysCommand.END + "\n\nafter\n", Files.readString(page));
        assertEquals("unroll keys: " + page + " updated\n", r.err());

        TestSupport.Result again = TestSupport.run("keys", "--update-page", page.toString());
        assertEquals(0, again.exitCode(), again.describe());
        assertEquals("unroll keys: " + page + " was up to date\n", again.err());
    }

    @Test
    void aPageWithoutMarkersIsAOneLineErrorNamingIt(@TempDir Path dir) throws IOException {
        Path page = Files.writeString(dir.resolve("p.md"), "# Keys\n\n| key | default | meaning |\n");
        TestSupport.Result r = TestSupport.run("keys", "--update-page", page.toString());
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith(page + ": no generated-keys markers"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("# Keys\n\n| key | default | meaning |\n", Files.readString(page), "left as it was");
    }

    @Test
    void printsEveryKeyWithItsDefaultAsTextOrMarkdown() {
        TestSupport.Result text = TestSupport.run("keys");
        assertEquals(0, text.exitCode(), text.describe());
        assertTrue(text.out().contains("training.batchSize (default 16)\n    sequences per update\n"), text.out());
        TestSupport.Result table = TestSupport.run("keys", "--markdown");
        assertEquals(0, table.exitCode(), table.describe());
        assertEquals(KeysCommand.markdown(), table.out());
        assertTrue(table.out().contains("| `training.batchSize` | `16` | sequences per update |\n"), table.out());
        for (JobKey<?> key : JobConfig.KEYS) {
            assertTrue(text.out().contains(key.path()), key.path());
            assertTrue(table.out().contains("| `" + key.path() + "` |"), key.path());
        }
        assertEquals(JobConfig.KEYS.size() + 4, table.out().lines().count(), "a header, a rule, a row per key and the two free sections");
    }
}
