package dev.unroll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.KafkaConnectors;
import dev.unroll.model.ModelException;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.record.ParameterVersion;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Warm start, for {@code train}, {@code replay} and {@code run} ({@code @Mixin}): training starts
 * from trained parameters instead of the job's network, under the same rules. The network must
 * have the job's structure. Versions count from 0 again; the written provenance names the start
 * under {@code init}. The optimizer's state (momentum's velocity, Adam's moments) is not kept in a
 * parameters file, so with either a warm start is not the same as one longer run.
 */
class InitOption {
    @Option(names = "--init", paramLabel = "PARAMS.json",
            description = "start from these parameters (a file Unroll wrote, or any network.json of the job's structure)"
                    + " instead of the job's network")
    Path file;

    /** Where the run started, for the provenance; null when it started from the job's network. */
    private Map<String, Object> start;

    /** {@code --init} plus {@code --init-from-topic}, for {@code run}. */
    static final class WithTopic extends InitOption {
        @Option(names = "--init-from-topic", paramLabel = "TOPIC", arity = "0..1", fallbackValue = "",
                description = "start from the newest version on this parameters topic (default: the job's own), read"
                        + " from the broker the job uses")
        String topic;

        /** The command using this mixin, for a usage error in its own words. */
        @Spec(Spec.Target.MIXEE)
        CommandSpec command;

        @Override
        boolean fromTopic() {
            if (file != null && topic != null) {
                throw new ParameterException(command.commandLine(), "--init and --init-from-topic exclude each other");
            }
            return topic != null;
        }

        @Override
        Network start(JobConfig config, Network jobNetwork, KafkaConnectors kafka) {
            if (topic == null) {
                return super.start(config, jobNetwork, kafka);
            }
            String name = topic.isEmpty() ? config.get(JobConfig.PARAMETERS_TOPIC) : topic;
            ParameterVersion v = kafka.newestVersion(name, config.name(), jobNetwork, config.limits());
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("topic", name);
            p.put("version", v.version);
            p.put("sequencesTrained", v.sequencesTrained);
            noteStart(p);
            return jobNetwork.withParameters(v.parameters());
        }
    }

    /** True when the start must be read from Kafka: call {@link #start} once the broker is known. */
    boolean fromTopic() {
        return false;
    }

    /** The network to start from: the job's own, or the one {@code --init} names, checked against it. */
    Network start(JobConfig config, Network jobNetwork) {
        return start(config, jobNetwork, null);
    }

    Network start(JobConfig config, Network jobNetwork, KafkaConnectors kafka) {
        if (file == null) {
            return jobNetwork;
        }
        byte[] bytes = read(file);
        Network init = NetworkJson.parse(new String(bytes, StandardCharsets.UTF_8), file.toString(),
                config.limits());
        String difference = structureDifference(init, jobNetwork);
        if (difference != null) {
            throw new ModelException(file.toString(), difference, describe(init, difference) + ", but the network of job "
                    + config.name() + " (" + config.networkPath() + ") has " + describe(jobNetwork, difference)
                    + ": --init needs the job's structure");
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("file", file.toString());
        p.put("sha256", HexFormat.of().formatHex(sha256(bytes)));
        JsonNode provenance = provenanceOf(bytes);
        if (provenance != null) {
            for (String field : List.of("job", "version", "sequencesTrained")) {
                JsonNode value = provenance.get(field);
                if (value != null && value.isValueNode()) {
                    p.put(field, value.isNumber() ? value.numberValue() : value.asText());
                }
            }
        }
        noteStart(p);
        return init;
    }

    /** {@link Outputs#provenance}, with {@code init} saying where training started when it did not start from the job's network. */
    Map<String, Object> provenance(JobConfig config, String producedBy, long version, long sequences,
                                   Map<String, Object> data) {
        Map<String, Object> p = Outputs.provenance(config, producedBy, version, sequences, data);
        if (start != null) {
            p.put("init", start);
        }
        return p;
    }

    void noteStart(Map<String, Object> where) {
        start = where;
    }

    /** The first structural field in which {@code a} differs from {@code b}, or null when they have one structure. */
    static String structureDifference(Network a, Network b) {
        if (a.sameStructure(b)) {
            return null;
        }
        if (a.units() != b.units()) {
            return "units";
        }
        if (!Arrays.equals(a.inputUnits(), b.inputUnits())) {
            return "inputUnits";
        }
        if (!Arrays.equals(a.outputUnits(), b.outputUnits())) {
            return "outputUnits";
        }
        if (a.activation() != b.activation()) {
            return "activation";
        }
        if (a.loss() != b.loss()) {
            return "loss";
        }
        if (!Arrays.deepEquals(a.tiedGroups(), b.tiedGroups())) {
            return "tied";
        }
        return "mask";
    }

    private static String describe(Network net, String field) {
        return switch (field) {
            case "units" -> Integer.toString(net.units());
            case "inputUnits" -> Arrays.toString(net.inputUnits());
            case "outputUnits" -> Arrays.toString(net.outputUnits());
            case "activation" -> net.activation().jsonName();
            case "loss" -> net.loss().jsonName();
            case "tied" -> "tied groups (flat indices) " + Arrays.deepToString(net.tiedGroups());
            default -> connections(net) + " connections";
        };
    }

    private static int connections(Network net) {
        int count = 0;
        for (int j = 0; j < net.units(); j++) {
            for (int i = 0; i < net.units(); i++) {
                count += net.connected(j, i) ? 1 : 0;
            }
        }
        return count;
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelException(path.toString(), "", "no such file");
        } catch (IOException e) {
            throw new ModelException(path.toString(), "", "cannot read: " + e.getMessage());
        }
    }

    /** The file's provenance object, if it has one (NetworkJson has already checked the document). */
    private static JsonNode provenanceOf(byte[] bytes) {
        try {
            JsonNode p = new ObjectMapper().readTree(bytes).get("provenance");
            return p != null && p.isObject() ? p : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
