package dev.unroll.cli;

import dev.unroll.io.AtomicFile;
import dev.unroll.job.JobConfig;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.job.Provenance;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.unroll.model.KeyedNetwork;

/** Writing results: whole files or nothing, each network saying where it came from. */
final class Outputs {
    private Outputs() {
    }

    /** Who wrote it, which version, and {@link Provenance}: the job, its settings, the code and {@code data} (null if none). */
    static Map<String, Object> provenance(JobConfig config, String producedBy, long version, long sequences,
                                          Map<String, Object> data) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("producedBy", "unroll " + producedBy);
        p.put("version", version);
        p.put("sequencesTrained", sequences);
        p.put("writtenAt", Instant.now().toString());
        p.putAll(Provenance.of(config));
        if (data != null) {
            p.put("data", data);
        }
        return p;
    }

    /** The per-key parameters file (KeyedNetworks), whole or not at all. */
    static void writeKeyed(Path out, java.util.Collection<KeyedNetwork> models) throws IOException {
        AtomicFile.write(out, tmp -> Files.writeString(tmp, KeyedNetworks.write(models), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes through a temporary file and a rename, so a reader never sees half a network. */
    static void writeNetwork(Path out, Network net, Map<String, Object> provenance) throws IOException {
        AtomicFile.write(out, tmp -> Files.writeString(tmp, NetworkJson.write(net, provenance)));
    }
}
