package dev.unroll.deploy;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.unroll.job.JobConfig;
import dev.unroll.launch.ClusterJob;
import dev.unroll.launch.Pipeline;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifests of {@code deploy/kubernetes}, read with Jackson YAML and held to what the Flink
 * Kubernetes Operator and Strimzi need and to what the job implies: the FlinkDeployment's image,
 * Flink version, job jar, entry class, parallelism (the same in spec.job.parallelism and in the
 * --parallelism argument), upgrade mode, resources and state directories; the ConfigMap's job
 * file and network, read with the project's own {@link JobConfig}; one KafkaTopic for each topic
 * that job file implies, on the Strimzi cluster the bootstrap address names. A second
 * FlinkDeployment runs the same job file's prediction path alone ({@code --mode serve}), with
 * state directories of its own. Each check is also shown to fail when the field it needs is
 * taken away.
 */
class KubernetesManifestsTest {
    private static final Path DIR = Path.of("deploy", "kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern RESOURCE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern BOOTSTRAP =
            Pattern.compile("([a-z0-9-]+)-kafka-bootstrap\\.([a-z0-9-]+)\\.svc(\\.cluster\\.local)?:(\\d+)");
    private static final Pattern MEMORY = Pattern.compile("\\d+(\\.\\d+)?([kmgt]i?b?)?", Pattern.CASE_INSENSITIVE);
    private static final long DAY_MS = 24L * 3600 * 1000;

    @TempDir
    Path tmp;

    /** One YAML document of one file. */
    record Doc(Path file, ObjectNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String where() {
            return file.getFileName() + " (" + kind() + " " + node.at("/metadata/name").asText() + ")";
        }
    }

    @Test
    void manifestsHaveWhatTheOperatorsAndTheJobNeed() throws IOException {
        List<Doc> docs = load();
        assertEquals(List.of(), problems(docs));
        Map<String, Long> kinds = new HashMap<>();
        docs.forEach(d -> kinds.merge(d.kind(), 1L, Long::sum));
        assertEquals(Map.of("FlinkDeployment", 2L, "ConfigMap", 1L, "KafkaTopic", 5L, "Kustomization", 1L), kinds);
    }

    /** Every required field, taken away in turn, is reported. */
    @ParameterizedTest
    @ValueSource(strings = {
            "FlinkDeployment /apiVersion",
            "FlinkDeployment /kind",
            "FlinkDeployment /metadata/name",
            "FlinkDeployment /spec/image",
            "FlinkDeployment /spec/flinkVersion",
            "FlinkDeployment /spec/serviceAccount",
            "FlinkDeployment /spec/job/jarURI",
            "FlinkDeployment /spec/job/entryClass",
            "FlinkDeployment /spec/job/parallelism",
            "FlinkDeployment /spec/job/upgradeMode",
            "FlinkDeployment /spec/job/args",
            "FlinkDeployment /spec/jobManager/resource/memory",
            "FlinkDeployment /spec/jobManager/resource/cpu",
            "FlinkDeployment /spec/taskManager/resource/memory",
            "FlinkDeployment /spec/taskManager/resource/cpu",
            "FlinkDeployment /spec/flinkConfiguration/execution.checkpointing.dir",
            "FlinkDeployment /spec/flinkConfiguration/execution.checkpointing.savepoint-dir",
            "FlinkDeployment /spec/podTemplate/spec/volumes",
            "FlinkDeployment /spec/flinkConfiguration/metrics.reporter.prom.port",
            "FlinkDeployment /spec/podTemplate/metadata/annotations/prometheus.io~1scrape",
            "FlinkDeployment /spec/podTemplate/metadata/annotations/prometheus.io~1port",
            "ConfigMap /metadata/name",
            "ConfigMap /data/job.yaml",
            "ConfigMap /data/network.json",
            "KafkaTopic /apiVersion",
            "KafkaTopic /metadata/name",
            "KafkaTopic /metadata/labels/strimzi.io~1cluster",
            "KafkaTopic /spec/partitions",
            "KafkaTopic /spec/replicas",
            "KafkaTopic /spec/topicName",
            "Kustomization /resources",
    })
    void removingARequiredFieldIsReported(String kindAndPointer) throws IOException {
        String[] parts = kindAndPointer.split(" ", 2);
        List<Doc> docs = load();
        Doc doc = docs.stream().filter(d -> d.kind().equals(parts[0])).findFirst().orElseThrow();
        JsonPointer pointer = JsonPointer.compile(parts[1]);
        assertFalse(doc.node().at(pointer).isMissingNode(), kindAndPointer + " is not in the manifests");
        ((ObjectNode) doc.node().at(pointer.head())).remove(pointer.last().getMatchingProperty());
        List<String> problems = problems(docs);
        assertFalse(problems.isEmpty(), "nothing reported without " + kindAndPointer);
    }

    @Test
    void theScrapedPortMustBeTheReportersPort() throws IOException {
        for (boolean servingOne : List.of(false, true)) {
            List<Doc> docs = load();
            Doc deployment = docs.stream().filter(d -> d.kind().equals("FlinkDeployment") && isServing(d) == servingOne)
                    .findFirst().orElseThrow();
            ((ObjectNode) deployment.node().at("/spec/flinkConfiguration")).put("metrics.reporter.prom.port", "9250");
            List<String> problems = problems(docs);
            assertTrue(problems.stream().anyMatch(p -> p.contains("prometheus.io/port")), problems.toString());
            assertTrue(problems.stream().anyMatch(p -> p.contains("does not declare the metrics port 9250")), problems.toString());
        }
    }

    @Test
    void parallelismWrittenTwiceMustAgree() throws IOException {
        for (boolean servingOne : List.of(false, true)) {
            List<Doc> docs = load();
            Doc deployment = docs.stream().filter(d -> d.kind().equals("FlinkDeployment") && isServing(d) == servingOne)
                    .findFirst().orElseThrow();
            ObjectNode job = (ObjectNode) deployment.node().at("/spec/job");
            job.put("parallelism", job.get("parallelism").asInt() + 1);
            assertTrue(problems(docs).stream().anyMatch(p -> p.contains("--parallelism")), problems(docs).toString());
        }
    }

    @Test
    void servingMustBeItsOwnDeploymentWithItsOwnState() throws IOException {
        List<Doc> docs = load();
        Doc serving = serving(docs);
        ObjectNode conf = (ObjectNode) serving.node().at("/spec/flinkConfiguration");
        conf.put("execution.checkpointing.dir", "s3://unroll-state/binary-addition/checkpoints");
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("share checkpoint")), problems(docs).toString());

        docs = load();
        docs.remove(serving(docs));
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("--mode serve")), problems(docs).toString());
    }

    @Test
    void theTrainingJobMustNotServeToo() throws IOException {
        List<Doc> docs = load();
        Doc training = docs.stream().filter(d -> d.kind().equals("FlinkDeployment") && !isServing(d)).findFirst().orElseThrow();
        com.fasterxml.jackson.databind.node.ArrayNode args = (com.fasterxml.jackson.databind.node.ArrayNode) training.node().at("/spec/job/args");
        for (int k = 0; k + 1 < args.size(); k += 2) {
            if (args.get(k).asText().equals("--mode")) {
                args.set(k + 1, "all");
            }
        }
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("answered twice")), problems(docs).toString());
    }

    @Test
    void servingParallelismAboveTheRequestPartitionsIsReported() throws IOException {
        List<Doc> docs = load();
        ObjectNode job = (ObjectNode) serving(docs).node().at("/spec/job");
        job.put("parallelism", 7);
        com.fasterxml.jackson.databind.node.ArrayNode args = (com.fasterxml.jackson.databind.node.ArrayNode) job.get("args");
        for (int k = 0; k + 1 < args.size(); k += 2) {
            if (args.get(k).asText().equals("--parallelism")) {
                args.set(k + 1, "7");
            }
        }
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("idle")), problems(docs).toString());
    }

    private static Doc serving(List<Doc> docs) {
        return docs.stream().filter(d -> d.kind().equals("FlinkDeployment") && isServing(d)).findFirst().orElseThrow();
    }

    private static boolean isServing(Doc deployment) {
        JsonNode args = deployment.node().at("/spec/job/args");
        for (int k = 0; k + 1 < args.size(); k += 2) {
            if (args.get(k).asText().equals("--mode") && args.get(k + 1).asText().equals("serve")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void topicsMustBeTheJobsTopics() throws IOException {
        List<Doc> docs = load();
        ObjectNode job = (ObjectNode) only(docs, "ConfigMap").node().get("data");
        job.put("job.yaml", job.get("job.yaml").asText().replace("name: binary-addition", "name: renamed"));
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("unroll.renamed.parameters")), problems(docs).toString());
    }

    @Test
    void theParametersTopicMustHaveOnePartition() throws IOException {
        List<Doc> docs = load();
        for (Doc d : docs) {
            if (d.kind().equals("KafkaTopic") && d.node().at("/spec/topicName").asText().endsWith(".parameters")) {
                ((ObjectNode) d.node().get("spec")).put("partitions", 2);
            }
        }
        assertTrue(problems(docs).stream().anyMatch(p -> p.contains("one partition")), problems(docs).toString());
    }

    private static List<Doc> load() throws IOException {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).sorted().toList()) {
                try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                    while (it.hasNext()) {
                        JsonNode node = it.next();
                        assertTrue(node.isObject(), file + ": a document is not a mapping");
                        docs.add(new Doc(file, (ObjectNode) node));
                    }
                }
            }
        }
        assertFalse(docs.isEmpty(), "no manifests under " + DIR.toAbsolutePath());
        return docs;
    }

    private static Doc only(List<Doc> docs, String kind) {
        List<Doc> of = docs.stream().filter(d -> d.kind().equals(kind)).toList();
        assertEquals(1, of.size(), "one " + kind + " expected");
        return of.get(0);
    }

    /** Everything wrong with the manifests, one line each; empty when they are right. */
    private List<String> problems(List<Doc> docs) throws IOException {
        List<String> p = new ArrayList<>();
        List<Doc> deployments = new ArrayList<>();
        List<Doc> configMaps = new ArrayList<>();
        List<Doc> topics = new ArrayList<>();
        for (Doc d : docs) {
            if (d.node().path("apiVersion").asText().isEmpty()) {
                p.add(d.where() + ": no apiVersion");
            }
            switch (d.kind()) {
                case "FlinkDeployment" -> deployments.add(d);
                case "ConfigMap" -> configMaps.add(d);
                case "KafkaTopic" -> topics.add(d);
                case "Kustomization" -> checkKustomization(d, docs, p);
                default -> p.add(d.where() + ": no checks for kind '" + d.kind() + "': add them to this test");
            }
            if (!d.kind().equals("Kustomization")) {
                String name = d.node().at("/metadata/name").asText();
                if (!RESOURCE_NAME.matcher(name).matches()) {
                    p.add(d.where() + ": metadata.name '" + name + "' is not a Kubernetes resource name");
                }
                if (d.node().at("/metadata/namespace").asText().isEmpty()) {
                    p.add(d.where() + ": no metadata.namespace (the resources live in different namespaces)");
                }
            }
        }
        List<Doc> serving = deployments.stream().filter(KubernetesManifestsTest::isServing).toList();
        List<Doc> training = deployments.stream().filter(d -> !isServing(d)).toList();
        if (training.size() != 1 || serving.size() != 1 || configMaps.size() != 1) {
            p.add("expected one training FlinkDeployment, one with --mode serve and one ConfigMap, found "
                    + training.size() + ", " + serving.size() + " and " + configMaps.size());
            return p;
        }
        Map<String, String> args = checkDeployment(training.get(0), p);
        if (!"train".equals(args.get("--mode"))) {
            p.add(training.get(0).where() + ": needs --mode train, or it answers requests too and each is answered twice");
        }
        Map<String, String> servingArgs = checkDeployment(serving.get(0), p);
        JobConfig job = checkConfigMap(configMaps.get(0), training.get(0), args, p);
        checkConfigMap(configMaps.get(0), serving.get(0), servingArgs, p);
        for (String key : List.of("--job", "--bootstrap-servers")) {
            if (!args.getOrDefault(key, "").equals(servingArgs.getOrDefault(key, ""))) {
                p.add(serving.get(0).where() + ": " + key + " is not the training job's " + args.get(key));
            }
        }
        for (String dir : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                "high-availability.storageDir")) {
            String a = training.get(0).node().at("/spec/flinkConfiguration").path(dir).asText();
            if (!a.isEmpty() && a.equals(serving.get(0).node().at("/spec/flinkConfiguration").path(dir).asText())) {
                p.add(serving.get(0).where() + ": training and serving share checkpoint or HA directories (" + dir + ")");
            }
        }
        if (job != null) {
            checkTopics(topics, job, args, p);
            int partitions = job.get(JobConfig.PARTITIONS);
            String parallelism = servingArgs.getOrDefault("--parallelism", "0");
            if (parallelism.matches("\\d+") && Integer.parseInt(parallelism) > partitions) {
                p.add(serving.get(0).where() + ": parallelism " + parallelism + " above the requests topic's " + partitions
                        + " partitions would leave readers idle");
            }
        }
        return p;
    }

    /** The FlinkDeployment; returns its job's arguments as option -> value. */
    private static Map<String, String> checkDeployment(Doc d, List<String> p) throws IOException {
        JsonNode n = d.node();
        String where = d.where();
        require(n, "/apiVersion", "flink.apache.org/v1beta1", where, p);
        requireText(n, "/spec/image", where, p);
        requireText(n, "/spec/serviceAccount", where, p);
        String[] flink = EnvironmentInformation.getVersion().split("\\.");
        require(n, "/spec/flinkVersion", "v" + flink[0] + "_" + flink[1], where, p);
        require(n, "/spec/job/entryClass", ClusterJob.class.getName(), where, p);
        require(n, "/spec/job/upgradeMode", "savepoint", where, p);
        String state = n.at("/spec/job/state").asText("running");
        if (!state.equals("running") && !state.equals("suspended")) {
            p.add(where + ": spec.job.state must be running or suspended, found " + state);
        }

        String jarUri = requireText(n, "/spec/job/jarURI", where, p);
        if (!jarUri.startsWith("local:///") || !jarUri.endsWith("/unroll-job.jar")) {
            p.add(where + ": spec.job.jarURI must be the job jar inside the image (local:///.../unroll-job.jar), found " + jarUri);
        } else {
            String inImage = jarUri.substring("local://".length());
            String dockerfile = Files.readString(DIR.resolve("Dockerfile"));
            if (!Pattern.compile("(?m)^COPY .*target/unroll-job\\.jar " + Pattern.quote(inImage) + "\\s*$").matcher(dockerfile).find()) {
                p.add(where + ": the Dockerfile does not COPY target/unroll-job.jar to " + inImage);
            }
        }

        for (String role : List.of("jobManager", "taskManager")) {
            String memory = requireText(n, "/spec/" + role + "/resource/memory", where, p);
            if (!memory.isEmpty() && !MEMORY.matcher(memory).matches()) {
                p.add(where + ": spec." + role + ".resource.memory '" + memory + "' is not a memory size");
            }
            JsonNode cpu = n.at("/spec/" + role + "/resource/cpu");
            if (!cpu.isNumber() || cpu.asDouble() <= 0) {
                p.add(where + ": spec." + role + ".resource.cpu must be a positive number");
            }
        }

        JsonNode conf = n.at("/spec/flinkConfiguration");
        for (Iterator<Map.Entry<String, JsonNode>> it = conf.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                p.add(where + ": flinkConfiguration." + e.getKey() + " must be a string (quote it)");
            }
        }
        // Flink 2.x names; the 1.x names (state.*) are their deprecated aliases
        String checkpoints = firstOf(conf, "execution.checkpointing.dir", "state.checkpoints.dir");
        String savepoints = firstOf(conf, "execution.checkpointing.savepoint-dir", "state.savepoints.dir");
        if (!checkpoints.matches("[a-z0-9]+://.+")) {
            p.add(where + ": flinkConfiguration needs execution.checkpointing.dir (or state.checkpoints.dir), a URI");
        }
        if (!savepoints.matches("[a-z0-9]+://.+")) {
            p.add(where + ": upgradeMode savepoint needs execution.checkpointing.savepoint-dir (or state.savepoints.dir), a URI");
        }
        if (!checkpoints.isEmpty() && checkpoints.equals(savepoints)) {
            p.add(where + ": checkpoints and savepoints share one directory");
        }

        checkPrometheus(n, where, p);

        Map<String, String> args = new HashMap<>();
        JsonNode list = n.at("/spec/job/args");
        if (!list.isArray() || list.size() % 2 != 0) {
            p.add(where + ": spec.job.args must be a list of ClusterJob's --option value pairs");
        } else {
            for (int k = 0; k < list.size(); k += 2) {
                args.put(list.get(k).asText(), list.get(k + 1).asText());
            }
        }
        for (String option : List.of("--job", "--bootstrap-servers", "--parallelism")) {
            if (!args.containsKey(option)) {
                p.add(where + ": spec.job.args lacks " + option);
            }
        }
        if (list.isArray()) {
            try {
                ClusterJob.parse(java.util.stream.StreamSupport.stream(list.spliterator(), false).map(JsonNode::asText)
                        .toArray(String[]::new));
            } catch (picocli.CommandLine.ParameterException e) {
                p.add(where + ": spec.job.args: " + e.getMessage());
            }
        }
        JsonNode parallelism = n.at("/spec/job/parallelism");
        if (!parallelism.isInt() || parallelism.asInt() < 1) {
            p.add(where + ": spec.job.parallelism must be a whole number of at least 1");
        } else if (!Integer.toString(parallelism.asInt()).equals(args.get("--parallelism"))) {
            p.add(where + ": spec.job.parallelism " + parallelism.asInt() + " and the --parallelism argument "
                    + args.get("--parallelism") + " differ: slots and BPTT shards would not match");
        }
        return args;
    }

    /** Flink's Prometheus reporter on one port, and the pods annotated so Prometheus scrapes that port. */
    private static void checkPrometheus(JsonNode n, String where, List<String> p) {
        JsonNode conf = n.at("/spec/flinkConfiguration");
        require(n, "/spec/flinkConfiguration/metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory", where, p);
        String port = conf.path("metrics.reporter.prom.port").asText();
        if (!port.matches("[0-9]{1,5}")) {
            p.add(where + ": flinkConfiguration.metrics.reporter.prom.port must be one port (one Flink process per pod), found '"
                    + port + "'");
            return;
        }
        JsonNode annotations = n.at("/spec/podTemplate/metadata/annotations");
        if (!annotations.path("prometheus.io/scrape").asText().equals("true")) {
            p.add(where + ": the pod template lacks the annotation prometheus.io/scrape: \"true\"");
        }
        if (!annotations.path("prometheus.io/port").asText().equals(port)) {
            p.add(where + ": the pod annotation prometheus.io/port must be the reporter's port " + port + ", found '"
                    + annotations.path("prometheus.io/port").asText() + "'");
        }
        boolean exposed = false;
        for (JsonNode container : n.at("/spec/podTemplate/spec/containers")) {
            for (JsonNode containerPort : container.path("ports")) {
                exposed |= container.path("name").asText().equals("flink-main-container")
                        && containerPort.path("containerPort").asText().equals(port);
            }
        }
        if (!exposed) {
            p.add(where + ": flink-main-container does not declare the metrics port " + port);
        }
    }

    /** The ConfigMap holding the job file and network, mounted where --job points. */
    private JobConfig checkConfigMap(Doc c, Doc deployment, Map<String, String> args, List<String> p) throws IOException {
        String where = c.where();
        if (!c.node().at("/metadata/namespace").asText().equals(deployment.node().at("/metadata/namespace").asText())) {
            p.add(where + ": not in the FlinkDeployment's namespace, so its pods cannot mount it");
        }
        String jobPath = args.getOrDefault("--job", "");
        Path jobFile = Path.of(jobPath);
        JsonNode mount = null;
        for (JsonNode container : deployment.node().at("/spec/podTemplate/spec/containers")) {
            if (container.path("name").asText().equals("flink-main-container")) {
                for (JsonNode m : container.path("volumeMounts")) {
                    if (!jobPath.isEmpty() && jobFile.getParent() != null
                            && jobFile.getParent().toString().equals(m.path("mountPath").asText())) {
                        mount = m;
                    }
                }
            }
        }
        if (mount == null) {
            p.add(deployment.where() + ": no volumeMount of flink-main-container holds --job " + jobPath);
        } else {
            boolean mounted = false;
            for (JsonNode v : deployment.node().at("/spec/podTemplate/spec/volumes")) {
                mounted |= v.path("name").asText().equals(mount.path("name").asText())
                        && v.at("/configMap/name").asText().equals(c.node().at("/metadata/name").asText());
            }
            if (!mounted) {
                p.add(deployment.where() + ": the volume at " + mount.path("mountPath").asText()
                        + " is not the ConfigMap " + c.node().at("/metadata/name").asText());
            }
        }

        JsonNode data = c.node().path("data");
        String jobKey = jobFile.getFileName() == null ? "" : jobFile.getFileName().toString();
        if (!data.path(jobKey).isTextual()) {
            p.add(where + ": data has no '" + jobKey + "', the file --job names");
            return null;
        }
        Path dir = Files.createTempDirectory(tmp, "configmap");
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Files.writeString(dir.resolve(e.getKey()), e.getValue().asText());
        }
        try {
            JobConfig job = JobConfig.read(dir.resolve(jobKey));
            job.loadNetwork();
            return job;
        } catch (RuntimeException e) {
            p.add(where + ": the job file or its network is not valid: " + e.getMessage());
            return null;
        }
    }

    /** One KafkaTopic per topic of the job, on the Strimzi cluster the bootstrap address names. */
    private static void checkTopics(List<Doc> topics, JobConfig job, Map<String, String> args, List<String> p) {
        Pipeline.Topics expected = Pipeline.Topics.of(job);
        Matcher bootstrap = BOOTSTRAP.matcher(args.getOrDefault("--bootstrap-servers", ""));
        String cluster = null;
        String namespace = null;
        if (!bootstrap.matches()) {
            p.add("--bootstrap-servers " + args.get("--bootstrap-servers")
                    + " is not a Strimzi bootstrap service (CLUSTER-kafka-bootstrap.NAMESPACE.svc:PORT)");
        } else {
            cluster = bootstrap.group(1);
            namespace = bootstrap.group(2);
        }
        Map<String, Doc> byTopic = new HashMap<>();
        for (Doc t : topics) {
            JsonNode n = t.node();
            String where = t.where();
            if (!n.path("apiVersion").asText().matches("kafka\\.strimzi\\.io/v1(beta2)?")) {
                p.add(where + ": apiVersion must be kafka.strimzi.io/v1 (or v1beta2 before Strimzi 0.49)");
            }
            String label = n.at("/metadata/labels/strimzi.io~1cluster").asText();
            if (label.isEmpty()) {
                p.add(where + ": no strimzi.io/cluster label: no Topic Operator would pick it up");
            } else if (cluster != null && !label.equals(cluster)) {
                p.add(where + ": on cluster " + label + ", but the job's bootstrap address is cluster " + cluster);
            }
            if (namespace != null && !n.at("/metadata/namespace").asText().equals(namespace)) {
                p.add(where + ": not in namespace " + namespace + ", where cluster " + cluster + " and its Topic Operator are");
            }
            for (String field : List.of("partitions", "replicas")) {
                JsonNode v = n.at("/spec/" + field);
                if (!v.isInt() || v.asInt() < 1) {
                    p.add(where + ": spec." + field + " must be a whole number of at least 1");
                }
            }
            String name = n.at("/spec/topicName").asText();
            if (name.isEmpty()) {
                p.add(where + ": no spec.topicName (the job's topic names are not resource names)");
            }
            byTopic.put(name, t);
        }
        Set<String> want = new HashSet<>(List.of(expected.sequences(), expected.parameters(), expected.deadLetters(),
                expected.serving().requests(), expected.serving().predictions()));
        if (!byTopic.keySet().equals(want)) {
            p.add("the KafkaTopics are " + new TreeSet<>(byTopic.keySet()) + ", the job's topics " + new TreeSet<>(want));
            return;
        }
        JsonNode sequences = byTopic.get(expected.sequences()).node();
        if (sequences.at("/spec/partitions").asInt() != job.get(JobConfig.PARTITIONS)) {
            p.add(expected.sequences() + ": " + sequences.at("/spec/partitions").asInt()
                    + " partitions, the job file's topics.partitions says " + job.get(JobConfig.PARTITIONS));
        }
        JsonNode requests = byTopic.get(expected.serving().requests()).node();
        if (requests.at("/spec/partitions").asInt() != job.get(JobConfig.PARTITIONS)) {
            p.add(expected.serving().requests() + ": " + requests.at("/spec/partitions").asInt()
                    + " partitions, the job file's topics.partitions says " + job.get(JobConfig.PARTITIONS));
        }
        JsonNode parameters = byTopic.get(expected.parameters()).node();
        if (parameters.at("/spec/partitions").asInt() != 1) {
            p.add(expected.parameters() + ": the version log must have one partition, so versions stay in order");
        }
        if (parameters.at("/spec/config/cleanup.policy").asText("delete").contains("compact")) {
            p.add(expected.parameters() + ": compaction would keep only the newest version of the log (one key per job)");
        }
        if (!retainedAtLeast(parameters, DAY_MS)) {
            p.add(expected.parameters() + ": keep the version log at least a day (spec.config.retention.ms)");
        }
        if (!retainedAtLeast(byTopic.get(expected.deadLetters()).node(), 30 * DAY_MS)) {
            p.add(expected.deadLetters() + ": keep dead letters at least 30 days (spec.config.retention.ms)");
        }
    }

    private static boolean retainedAtLeast(JsonNode topic, long ms) {
        JsonNode r = topic.at("/spec/config/retention.ms");
        return r.canConvertToLong() && (r.asLong() == -1 || r.asLong() >= ms);
    }

    private static void checkKustomization(Doc k, List<Doc> docs, List<String> p) {
        Set<String> listed = new TreeSet<>();
        k.node().path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = new TreeSet<>();
        docs.stream().filter(d -> !d.kind().equals("Kustomization")).forEach(d -> files.add(d.file().getFileName().toString()));
        if (!listed.equals(files)) {
            p.add(k.where() + ": resources " + listed + " are not the manifests " + files);
        }
    }

    private static void require(JsonNode n, String pointer, String expected, String where, List<String> p) {
        String got = n.at(pointer).asText();
        if (!got.equals(expected)) {
            p.add(where + ": " + pointer + " must be " + expected + ", found '" + got + "'");
        }
    }

    private static String requireText(JsonNode n, String pointer, String where, List<String> p) {
        JsonNode v = n.at(pointer);
        if (!v.isValueNode() || v.asText().isBlank()) {
            p.add(where + ": " + pointer + " is required");
            return "";
        }
        return v.asText();
    }

    private static String firstOf(JsonNode conf, String... keys) {
        for (String key : keys) {
            if (conf.path(key).isTextual()) {
                return conf.path(key).asText();
            }
        }
        return "";
    }
}
