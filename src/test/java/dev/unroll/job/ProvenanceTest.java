package dev.unroll.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.unroll.record.SourceRanges;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

class ProvenanceTest {
    @TempDir
    Path dir;

    @Test
    void namesTheJobEverySettingTheNetworkAndTheCode() throws Exception {
        Files.writeString(dir.resolve("network.json"), "abc");
        Files.writeString(dir.resolve("job.yaml"), "name: p\nnetwork: network.json\ntraining:\n  batchSize: 5\n"
                + "  learningRate: 0.25\n");
        Map<String, Object> p = Provenance.of(JobConfig.read(dir.resolve("job.yaml")));
        assertEquals("p", p.get("job"));
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1)
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", p.get("networkSha256"));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = (Map<String, Object>) p.get("settings");
        assertEquals(JobConfig.KEYS.size(), settings.size(), "every key, defaults included");
        assertEquals(5, settings.get("training.batchSize"));
        assertEquals(0.25, settings.get("training.learningRate"));
        assertEquals(0, settings.get("training.staleness"), "a default");
        @SuppressWarnings("unchecked")
        Map<String, String> code = (Map<String, String>) p.get("code");
        assertNotEquals("unknown", code.get("version"), "the build fills in the version");
    }

    @Test
    void aDataFileByItsDigest() throws Exception {
        Path data = Files.writeString(dir.resolve("d.jsonl"), "abc");
        Map<String, Object> d = Provenance.file(data);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d.get("sha256"));
        assertEquals(3L, d.get("bytes"));
    }

    @Test
    void topicOffsetsMergeAndReadBack() {
        SourceRanges a = new SourceRanges();
        a.add("t.seq", 1, 40);
        a.add("t.seq", 0, 7);
        a.add("t.seq", 1, 12);
        SourceRanges b = new SourceRanges();
        b.add("t.seq", 0, 3);
        SourceRanges m = SourceRanges.merge(a, b);
        assertEquals("t.seq 0:3-7,1:12-40", m.toString());
        assertEquals(m.toString(), SourceRanges.parse(m.toString()).toString());
        assertEquals(Map.of("topic", "t.seq", "offsets", "0:3-7,1:12-40"), Provenance.topic(m.toString()));
        assertNull(Provenance.topic(""));
    }
}
