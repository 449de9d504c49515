package dev.unroll.launch;

import dev.unroll.cli.Main;
import dev.unroll.job.JobException;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A state directory belongs to one job on one network structure; anything else is refused in one line. */
class StateDirectoryTest {
    @TempDir
    Path dir;

    private Network network(String example) {
        return NetworkJson.read(TestSupport.examples().resolve("training").resolve(example).resolve("network.json"),
                Limits.DEFAULT);
    }

    @Test
    void aNewDirectoryIsMarkedAndReopened() {
        Path state = dir.resolve("a/b");
        StateDirectory opened = StateDirectory.open(state, "job", network("j2-tanh-b7"), false);
        assertTrue(Files.isRegularFile(state.resolve(StateDirectory.MARKER)));
        assertTrue(opened.newestCheckpoint().isEmpty());
        StateDirectory.open(state, "job", network("j2-tanh-b7"), false);
    }

    @Test
    void anotherJobsDirectoryIsRefused() {
        StateDirectory.open(dir, "one", network("j2-tanh-b7"), false);
        JobException e = assertThrows(JobException.class, () -> StateDirectory.open(dir, "two", network("j2-tanh-b7"), false));
        assertTrue(e.getMessage().contains("holds the state of job one, not two"), e.getMessage());
    }

    @Test
    void aNetworkOfAnotherStructureIsRefusedAndFreshStartsOver() throws Exception {
        StateDirectory.open(dir, "job", network("j2-tanh-b7"), false);
        Files.createDirectories(dir.resolve("checkpoints/x/chk-3"));
        Files.writeString(dir.resolve("checkpoints/x/chk-3/_metadata"), "m");
        JobException e = assertThrows(JobException.class, () -> StateDirectory.open(dir, "job", network("j3-tied-b16"), false));
        assertTrue(e.getMessage().contains("another structure"), e.getMessage());
        // --fresh on the job's own directory empties it; on another job's it is still refused
        StateDirectory fresh = StateDirectory.open(dir, "job", network("j2-tanh-b7"), true);
        assertTrue(fresh.newestCheckpoint().isEmpty());
        assertFalse(Files.exists(dir.resolve("checkpoints/x")));
        assertThrows(JobException.class, () -> StateDirectory.open(dir, "other", network("j2-tanh-b7"), true));
    }

    @Test
    void aCorruptMarkerOrAForeignDirectoryIsRefused() throws Exception {
        Files.writeString(dir.resolve(StateDirectory.MARKER), "{\"job\": ");
        JobException e = assertThrows(JobException.class, () -> StateDirectory.open(dir, "job", network("j2-tanh-b7"), false));
        assertTrue(e.getMessage().contains("unreadable"), e.getMessage());
        Files.writeString(dir.resolve(StateDirectory.MARKER), "[1, 2]");
        e = assertThrows(JobException.class, () -> StateDirectory.open(dir, "job", network("j2-tanh-b7"), false));
        assertTrue(e.getMessage().contains("not an Unroll state marker"), e.getMessage());

        Path foreign = dir.resolve("home");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        e = assertThrows(JobException.class, () -> StateDirectory.open(foreign, "job", network("j2-tanh-b7"), false));
        assertTrue(e.getMessage().contains("not an Unroll state directory"), e.getMessage());
        assertTrue(Files.exists(foreign.resolve("notes.txt")), "nothing of a foreign directory is touched");
    }

    @Test
    void theNewestCompletedCheckpointIsTheHighestWithMetadata() throws Exception {
        StateDirectory state = StateDirectory.open(dir, "job", network("j2-tanh-b7"), false);
        for (String chk : new String[] {"run1/chk-4", "run2/chk-9", "run2/chk-12"}) {
            Files.createDirectories(dir.resolve("checkpoints").resolve(chk));
        }
        Files.writeString(dir.resolve("checkpoints/run1/chk-4/_metadata"), "m");
        Files.writeString(dir.resolve("checkpoints/run2/chk-9/_metadata"), "m");
        // chk-12 was being written when the process died: no _metadata yet
        assertEquals(dir.resolve("checkpoints/run2/chk-9").toAbsolutePath(), state.newestCheckpoint().orElseThrow());
    }

    @Test
    void runRefusesAnotherJobsDirectoryInOneLine() throws Exception {
        Path example = TestSupport.examples().resolve("training").resolve("j2-tanh-b7");
        Files.copy(example.resolve("network.json"), dir.resolve("network.json"));
        Files.writeString(dir.resolve("job.yaml"), "name: mine\nnetwork: network.json\ntraining:\n  batchSize: 7\n"
                + "  learningRate: 0.1\n");
        Path state = dir.resolve("state");
        StateDirectory.open(state, "theirs", network("j2-tanh-b7"), false);
        TestSupport.Result r = TestSupport.run("run", "--job", dir.resolve("job.yaml").toString(), "--state-dir",
                state.toString(), "--quiet");
        assertEquals(Main.BAD_INPUT, r.exitCode(), r.describe());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("holds the state of job theirs, not mine"), r.err());
    }
}
