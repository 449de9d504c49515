package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.job.JobConfig;
import dev.unroll.task.SensorReadings;
import dev.unroll.task.Tasks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What README.md and the docs pages show still holds: each {@code unroll} command line of their
 * shell blocks is parsed by the real command line (picocli), without running it, and the
 * repository files it reads (a job, a network, data under src/) exist; every job file in jobs/
 * loads; every relative link reaches a file and heading; the README links every page of docs/.
 * A failure names the page and line.
 */
class DocsTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    /** Options whose value is a file the command reads. */
    private static final Set<String> INPUTS = Set.of("--job", "--network", "--sequence", "--data", "--params", "--init",
            "--until-right", "--history", "--update-page");

    @Test
    void everyCommandThePagesShowParses() throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> readmeVerbs = new TreeSet<>();
        int commands = 0;
        for (Path page : pages()) {
            for (ShownCommands.Shown shown : ShownCommands.in(page)) {
                commands++;
                String problem = problem(shown);
                if (problem != null) {
                    problems.add(shown.where() + ": unroll " + String.join(" ", shown.args()) + ": " + problem);
                }
                if (page.equals(Path.of("README.md")) && !shown.args().isEmpty()) {
                    readmeVerbs.add(shown.args().get(0));
                }
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " commands shown in the docs do not parse:\n" + String.join("\n", problems));
        assertTrue(readmeVerbs.containsAll(List.of("demo", "produce", "train", "replay", "run", "predict")),
                "the README's tour shows the demo, feeding the live job and a prediction: " + readmeVerbs);
        assertTrue(commands >= 30, "the pages show their commands in shell blocks: found " + commands);
    }

    @Test
    void everyJobFileLoads() throws IOException {
        List<Path> jobs;
        try (Stream<Path> files = Files.list(Path.of("jobs"))) {
            jobs = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertFalse(jobs.isEmpty());
        for (Path job : jobs) {
            JobConfig config = JobConfig.read(job);
            var network = config.loadNetwork();
            if (config.hasEvents()) {
                SensorReadings.fromJob(config, 0);
            } else if (!config.task().isEmpty()) {
                Tasks.fromJob(config, network);
            }
        }
    }

    @Test
    void everyRelativeLinkReachesAFileAndHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            List<String> lines = Files.readAllLines(page);
            for (int k = 0; k < lines.size(); k++) {
                Matcher m = LINK.matcher(lines.get(k));
                while (m.find()) {
                    String problem = linkProblem(page, m.group(1));
                    if (problem != null) {
                        broken.add(page + ":" + (k + 1) + ": " + m.group(1) + ": " + problem);
                    }
                }
            }
        }
        assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
    }

    @Test
    void theReadmeLinksEveryPageOfDocs() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        List<String> unlinked;
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            unlinked = files.map(p -> "docs/" + p.getFileName()).filter(p -> p.endsWith(".md"))
                    .filter(p -> !readme.contains("](" + p + ")")).sorted().toList();
        }
        assertTrue(unlinked.isEmpty(), "README.md's Documentation section does not link " + unlinked);
    }

    /** Why a link of a page leads nowhere, or null: web links are not followed. */
    private static String linkProblem(Path page, String link) throws IOException {
        if (link.matches("[a-z]+:.*")) {
            return null;
        }
        int hash = link.indexOf('#');
        String file = hash < 0 ? link : link.substring(0, hash);
        Path target = file.isEmpty() ? page : page.resolveSibling(file).normalize();
        if (!Files.exists(target)) {
            return "no such file";
        }
        if (hash < 0) {
            return null;
        }
        String anchor = link.substring(hash + 1);
        boolean found = Files.readAllLines(target).stream().filter(l -> l.startsWith("#"))
                .map(l -> slug(l.replaceFirst("^#+\\s*", ""))).anyMatch(anchor::equals);
        return found ? null : "no heading #" + anchor + " in " + target;
    }

    @Test
    void headingsBecomeAnchorsAsOnGitHub() {
        assertEquals("the-task-section-what-produce-generates", slug("The `task` section: what `produce` generates"));
        assertEquals("predictions-predict-and-the-live-jobs-predictions-topic",
                slug("Predictions (`predict`, and the live job's predictions topic)"));
        assertEquals("a-sequence-one-line-of-a-jsonl-file-one-kafka-record", slug("A sequence (one line of a `.jsonl` file, one Kafka record)"));
    }

    /** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
    static String slug(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    /** The extraction itself, on the forms the pages use. */
    @Test
    void findsCommandsAcrossContinuationsVariablesPipesAndComments() {
        List<String> page = List.of(
                "Some text with `java -jar target/unroll.jar keys` inline: not a block.",
                "```bash",
                "J=java\\ -jar\\ target/unroll.jar",
                "$J gradient --network a.json \\",
                "            --sequence 'b c.json'   # a comment",
                "JOB=jobs/x.yaml; P=src/p",
                "$J train --job $JOB --data \"$P/d.jsonl\" --out /tmp/o.json && kcat -b h -P -t t -l f",
                "java -Xmx1g -jar target/unroll.jar bench --units 64 2>&1 | tail -1",
                "echo '{\"steps\": 1}' | kcat -P -t unroll.x.requests",
                "unroll run --job ${JOB} --port 19092 &",
                "ID=$(curl -s 127.0.0.1:8081/jobs/overview | cut -d'\"' -f4)",
                "```",
                "```json",
                "unroll train --no-such-option",
                "```");
        List<ShownCommands.Shown> shown = ShownCommands.in(Path.of("p.md"), page);
        assertEquals(List.of(
                List.of("gradient", "--network", "a.json", "--sequence", "b c.json"),
                List.of("train", "--job", "jobs/x.yaml", "--data", "src/p/d.jsonl", "--out", "/tmp/o.json"),
                List.of("bench", "--units", "64"),
                List.of("run", "--job", "jobs/x.yaml", "--port", "19092")), shown.stream().map(ShownCommands.Shown::args).toList());
        assertEquals(List.of(4, 7, 8, 10), shown.stream().map(ShownCommands.Shown::line).toList());
        assertEquals("p.md:4", shown.get(0).where());
    }

    @Test
    void aShownCommandThatNoLongerParsesIsNamedWithItsPageAndLine(@TempDir Path dir) throws IOException {
        Path page = Files.writeString(dir.resolve("page.md"), String.join("\n",
                "# A page", "", "```bash",
                "java -jar target/unroll.jar train --job jobs/binary-addition.yaml --data d.jsonl --out o.json",
                "java -jar target/unroll.jar train --job jobs/binary-addition.yaml --dta d.jsonl --out o.json",
                "java -jar target/unroll.jar produce --job jobs/no-such-job.yaml --out s.jsonl --count 10",
                "java -jar target/unroll.jar replay --job jobs/binary-addition.yaml --data d.jsonl --out o.json --parallelism P",
                "```", ""));
        List<ShownCommands.Shown> shown = ShownCommands.in(page);
        assertEquals(4, shown.size());
        assertNull(problem(shown.get(0)));
        assertEquals(page + ":5", shown.get(1).where());
        assertTrue(problem(shown.get(1)).contains("--dta"), problem(shown.get(1)));
        assertEquals("no such file: jobs/no-such-job.yaml", problem(shown.get(2)));
        assertTrue(problem(shown.get(3)).contains("'P' is not an int"), problem(shown.get(3)));
    }

    /** Why a shown command is wrong, or null: it must parse, and the repository files it reads must exist. */
    private static String problem(ShownCommands.Shown shown) {
        ParseResult parsed;
        try {
            parsed = new CommandLine(new Main()).parseArgs(shown.args().toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
        for (ParseResult r = parsed; r != null; r = r.subcommand()) {
            for (OptionSpec option : r.matchedOptions()) {
                if (!INPUTS.contains(option.longestName())) {
                    continue;
                }
                for (String value : option.stringValues()) {
                    if (inRepository(value) && !Files.exists(Path.of(value))) {
                        return "no such file: " + value;
                    }
                }
            }
        }
        return null;
    }

    /** A path relative to the repository root that a reader of the page has after a clone. */
    private static boolean inRepository(String value) {
        return !value.contains("$") && List.of("jobs/", "src/", "docs/", "deploy/", "bench/").stream().anyMatch(value::startsWith);
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md"), Path.of("bench", "README.md")));
        for (String dir : List.of("docs", "deploy")) {
            try (Stream<Path> files = Files.walk(Path.of(dir))) {
                files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
            }
        }
        return pages;
    }
}
