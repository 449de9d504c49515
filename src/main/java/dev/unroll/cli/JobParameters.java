package dev.unroll.cli;

import dev.unroll.job.JobConfig;
import dev.unroll.format.KeyedNetworks;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import dev.unroll.model.KeyedNetwork;

/** Trained parameters given to a command, checked to be a network of the job's structure. */
final class JobParameters {
    private JobParameters() {
    }

    static Network read(JobConfig config, Network initial, Path params) {
        Network net = NetworkJson.read(params, config.limits());
        if (!net.sameStructure(initial)) {
            throw new ModelException(params.toString(), "", "not the structure of the job's network " + config.networkPath()
                    + " (units, input and output units, activation, loss, mask and tied groups must match)");
        }
        return net;
    }

    /** A per-key parameters file (one JSON line per key), each key's network checked to be of the job's structure. */
    static Map<String, Network> readKeyed(JobConfig config, Network initial, Path params) {
        Map<String, Network> models = new HashMap<>();
        for (KeyedNetwork e : readKeyedEntries(config, initial, params)) {
            models.put(e.key(), e.network());
        }
        return models;
    }

    /** The same with each key's version and count, in key order. */
    static java.util.List<KeyedNetwork> readKeyedEntries(JobConfig config, Network initial, Path params) {
        java.util.List<KeyedNetwork> entries = KeyedNetworks.read(params, config.limits());
        for (KeyedNetwork e : entries) {
            if (!e.network().sameStructure(initial)) {
                throw new ModelException(params.toString(), "key " + e.key(), "not the structure of the job's network "
                        + config.networkPath());
            }
        }
        return entries;
    }

    /** The version a parameters file says it is ({@code provenance.version}, as train, run and demo write), or 0. */
    static long provenanceVersion(Path params) {
        try {
            JsonNode version = new ObjectMapper().readTree(params.toFile()).path("provenance").path("version");
            return version.canConvertToLong() ? version.longValue() : 0;
        } catch (IOException e) {
            throw new ModelException(params.toString(), "", "cannot read: " + e.getMessage());
        }
    }
}
