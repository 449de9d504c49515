package dev.unroll.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.unroll.events.EventFields;
import dev.unroll.events.EventInput;
import dev.unroll.events.EventRule;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.format.EventAvro;
import dev.unroll.format.SequenceFormat;
import dev.unroll.model.ModelException;
import dev.unroll.model.Optimizer;
import dev.unroll.model.Prequential;
import dev.unroll.model.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training job, read from one YAML file. Every key is declared once in {@link #KEYS} with its
 * meaning, default and check; an unknown key or a bad value is an error naming the file and key.
 * Two sections are free-form and checked by their users: {@code task} (the generator of
 * {@code produce}) and {@code kafka} (client properties such as security settings, passed to
 * every Kafka client the job makes).
 */
public final class JobConfig {
    public static final JobKey<String> NAME = new JobKey<>("name", "a name", null, JobKey.text(), v -> null,
            "the job's name, used in topic names and provenance (default: the file name without .yaml)");
    public static final JobKey<String> NETWORK = new JobKey<>("network", "a path", null, JobKey.text(), v -> null,
            "the initial network, in the format of docs/model.md, relative to the job file (required)");
    public static final JobKey<Integer> BATCH_SIZE = new JobKey<>("training.batchSize", "a whole number", 16,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1", "sequences per update");
    public static final JobKey<Double> LEARNING_RATE = new JobKey<>("training.learningRate", "a number", 0.1,
            JobKey.number(), v -> v > 0 ? null : "must be positive",
            "param -= learningRate * (sum of gradients over the batch) / batchSize");
    public static final JobKey<String> OPTIMIZER = new JobKey<>("training.optimizer", "sgd, adam or adagrad", "sgd",
            JobKey.text(), v -> v.equals("sgd") || v.equals("adam") || v.equals("adagrad") ? null
                    : "must be sgd, adam or adagrad",
            "sgd: gradient descent on the averaged gradient (with momentum if set); adam: Adam, bias-corrected, with"
                    + " beta1, beta2 and epsilon; adagrad: AdaGrad, with epsilon (see docs/optimizers.md)");
    public static final JobKey<Double> MOMENTUM = new JobKey<>("training.momentum", "a number", 0.0,
            JobKey.number(), v -> v >= 0 && v < 1 ? null : "must be in [0, 1)",
            "heavy-ball momentum on the averaged gradient; 0 is plain gradient descent; sgd only");
    public static final JobKey<Double> BETA1 = new JobKey<>("training.beta1", "a number", Optimizer.Settings.BETA1,
            JobKey.number(), v -> v >= 0 && v < 1 ? null : "must be in [0, 1)",
            "adam only: decay rate of the first moment (the mean of the gradient)");
    public static final JobKey<Double> BETA2 = new JobKey<>("training.beta2", "a number", Optimizer.Settings.BETA2,
            JobKey.number(), v -> v >= 0 && v < 1 ? null : "must be in [0, 1)",
            "adam only: decay rate of the second moment (the mean of the squared gradient)");
    public static final JobKey<Double> EPSILON = new JobKey<>("training.epsilon", "a number", Optimizer.Settings.EPSILON,
            JobKey.number(), v -> v > 0 ? null : "must be positive",
            "adam and adagrad: added to the root of the bias-corrected second moment (of the sum of squares)");
    public static final JobKey<Double> CLIP_NORM = new JobKey<>("training.clipNorm", "a number", 0.0,
            JobKey.number(), v -> v >= 0 ? null : "must be 0 (off) or positive",
            "scale the averaged gradient down to this Euclidean norm when above it; 0 is off");
    public static final JobKey<Boolean> LEARN_INITIAL_STATE = new JobKey<>("training.learnInitialState",
            "true or false", true, JobKey.bool(), v -> null,
            "false freezes the initial states at the network file's values");
    public static final JobKey<Integer> STALENESS = new JobKey<>("training.staleness", "a whole number", 0,
            JobKey.integer(), v -> v >= 0 && v <= 1000 ? null : "must be in 0..1000",
            "S: batch k's gradient is taken at version max(0, k - S), the update still applied to version k;"
                    + " up to S + 1 batches are computed while updates travel; 0 is synchronous");
    public static final JobKey<String> MODELS = new JobKey<>("training.models", "one or per-key", "one", JobKey.text(),
            v -> v.equals("one") || v.equals("per-key") ? null : "must be one or per-key",
            "one: every sequence trains one model; per-key: each sequence's key (its `key` field, else its Kafka record"
                    + " key) trains a model of its own, held in keyed state (see docs/per-key.md)");
    public static final JobKey<Long> IDLE_KEY_TTL = new JobKey<>("training.idleKeyTtlMs", "a whole number", 0L,
            JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 (off) or positive",
            "with per-key models: a key that receives no sequence for this long (processing time) is retired, its"
                    + " model and partial batch dropped; it starts again from the job's network; 0 keeps every key");
    public static final JobKey<Integer> MAX_KEYS = new JobKey<>("limits.maxKeysPerSubtask", "a whole number", 1_000_000,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "with per-key models: the most keys one trainer subtask holds; a sequence of a new key beyond it is"
                    + " dead-lettered (stage trainer)");
    public static final JobKey<Integer> MAX_UNITS = new JobKey<>("limits.maxUnits", "a whole number",
            Limits.DEFAULT.maxUnits(), JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "a network or record with more units is rejected");
    public static final JobKey<Integer> MAX_STEPS = new JobKey<>("limits.maxSteps", "a whole number",
            Limits.DEFAULT.maxSteps(), JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "a sequence with more steps is rejected (dead-lettered when streaming)");
    public static final JobKey<Integer> MAX_RECORD_BYTES = new JobKey<>("limits.maxRecordBytes", "a whole number",
            16 << 20, JobKey.integer(), v -> v >= 64 ? null : "must be at least 64",
            "a Kafka record larger than this is dead-lettered unread");
    public static final JobKey<Integer> PARALLELISM = new JobKey<>("stream.parallelism", "a whole number", 2,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "parallel instances of the BPTT operator (each batch is split into this many shards)");
    public static final JobKey<Long> CHECKPOINT_INTERVAL = new JobKey<>("stream.checkpointIntervalMs",
            "a whole number", 10_000L, JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 (off) or positive",
            "Flink checkpoint interval of the live job in milliseconds; 0 turns checkpoints off");
    public static final JobKey<String> CHECKPOINT_DIR = new JobKey<>("stream.checkpointDir", "a URI", null,
            JobKey.text(), v -> v.contains("://") ? null : "must be a URI such as file:///data/unroll or s3://bucket/unroll",
            "where checkpoints are written and retained (kept on cancellation too); `run` uses its --state-dir,"
                    + " a cluster its own execution.checkpointing.dir unless this is set");
    public static final JobKey<String> STATE_BACKEND = new JobKey<>("stream.stateBackend", "hashmap or rocksdb",
            "hashmap", JobKey.text(), v -> v.equals("hashmap") || v.equals("rocksdb") ? null : "must be hashmap or rocksdb",
            "Flink state backend: hashmap keeps state on the heap; rocksdb on local disk, for state larger than memory");
    public static final JobKey<Boolean> INCREMENTAL_CHECKPOINTS = new JobKey<>("stream.incrementalCheckpoints",
            "true or false", true, JobKey.bool(), v -> null,
            "with rocksdb, checkpoints upload only the files changed since the last one");
    public static final JobKey<Long> BUFFER_TIMEOUT = new JobKey<>("stream.bufferTimeoutMs", "a whole number",
            0L, JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 or positive",
            "Flink network buffer flush interval in ms (0 sends at once); each synchronous update crosses it several times");
    public static final JobKey<ParameterFormat> PARAMETER_FORMAT = new JobKey<>("stream.parameterFormat",
            "binary or json", ParameterFormat.BINARY, JobConfig::parameterFormat, v -> null,
            "how the parameters topic's records are written (see docs/record-formats.md); readers take either");
    public static final JobKey<SequenceFormat> SEQUENCE_FORMAT = new JobKey<>("stream.sequenceFormat",
            "json or avro", SequenceFormat.JSON, JobConfig::sequenceFormat, v -> null,
            "how `produce`, `load`, `demo` and `replay --data` write the sequences topic's records: JSON text or"
                    + " single-object Avro (see docs/binary-format.md); the job reads either");
    public static final JobKey<Boolean> IN_PROCESS_VERSIONS = new JobKey<>("stream.inProcessVersions",
            "true or false", true, JobKey.bool(), v -> null,
            "BPTT instances in the aggregator's JVM take each version from it in memory instead of reading it back"
                    + " from the parameters topic (which gets every version either way)");
    public static final JobKey<String> SEQUENCES_TOPIC = new JobKey<>("topics.sequences", "a topic name", null,
            JobKey.text(), JobConfig::checkTopic, "input sequences (default unroll.NAME.sequences)");
    public static final JobKey<String> PARAMETERS_TOPIC = new JobKey<>("topics.parameters", "a topic name", null,
            JobKey.text(), JobConfig::checkTopic, "parameter versions, written by the aggregator (default unroll.NAME.parameters)");
    public static final JobKey<String> DEAD_LETTER_TOPIC = new JobKey<>("topics.deadLetters", "a topic name", null,
            JobKey.text(), JobConfig::checkTopic, "rejected records with their reason (default unroll.NAME.dead-letters)");
    public static final JobKey<String> REQUESTS_TOPIC = new JobKey<>("topics.requests", "a topic name", null,
            JobKey.text(), JobConfig::checkTopic, "sequences to predict, answered with the newest version (default unroll.NAME.requests)");
    public static final JobKey<String> PREDICTIONS_TOPIC = new JobKey<>("topics.predictions", "a topic name", null,
            JobKey.text(), JobConfig::checkTopic, "one prediction per request, keyed like it (default unroll.NAME.predictions)");
    public static final JobKey<Integer> PARTITIONS = new JobKey<>("topics.partitions", "a whole number", 2,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "partitions of the sequences and requests topics when the job creates them");
    public static final JobKey<String> SIGNING_KEY_FILE = new JobKey<>("security.signingKeyFile", "a path", null,
            JobKey.text(), v -> null,
            "a file holding the secret that signs every parameter record (HMAC-SHA256), relative to the job file;"
                    + " readers then refuse a record without a valid signature. The environment variable "
                    + SigningKey.ENV + " wins over it (see docs/security.md)");
    public static final JobKey<Integer> PROMETHEUS_PORT = new JobKey<>("metrics.prometheusPort", "a whole number", 0,
            JobKey.integer(), v -> v >= 0 && v <= 65535 ? null : "must be in 0..65535",
            "the embedded default's Flink serves its metrics and the job's to Prometheus on this port (all interfaces:"
                    + " the reporter has no host setting); 0 is off");

    public static final JobKey<Integer> QUALITY_WINDOW = new JobKey<>("quality.window", "a whole number",
            Prequential.Settings.DEFAULT.window(), JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "prequential figures: the window's length in sequences (it holds whole batches, at least this many;"
                    + " see docs/model-quality.md)");
    public static final JobKey<Double> QUALITY_FADING = new JobKey<>("quality.fadingFactor", "a number",
            Prequential.Settings.DEFAULT.fadingFactor(), JobKey.number(), v -> v > 0 && v <= 1 ? null : "must be in (0, 1]",
            "prequential figures: the fading factor alpha per sequence (1: the mean over everything)");
    public static final JobKey<Double> GATE_FACTOR = new JobKey<>("serving.gateFactor", "a number", 0.0,
            JobKey.number(), v -> v == 0 || v >= 1 ? null : "must be 0 (off) or at least 1",
            "serve a version only once its own prequential loss is at most this times the best a served version had;"
                    + " otherwise keep answering with the last version that passed (0: serve every version at once)");
    public static final JobKey<Long> MAX_MODEL_AGE = new JobKey<>("serving.maxModelAgeMs", "a whole number", 0L,
            JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 (off) or positive",
            "a prediction made with a version older than this (see serving.modelAgeClock) is flagged or dead-lettered"
                    + " (serving.staleModels); 0 is off");
    public static final JobKey<String> MODEL_AGE_CLOCK = new JobKey<>("serving.modelAgeClock", "wall or event", "wall",
            JobKey.text(), v -> v.equals("wall") || v.equals("event") ? null : "must be wall or event",
            "a version's age: wall, now minus when it was published; event, the request record's timestamp minus that");
    public static final JobKey<String> STALE_MODELS = new JobKey<>("serving.staleModels", "flag or dead-letter", "flag",
            JobKey.text(), v -> v.equals("flag") || v.equals("dead-letter") ? null : "must be flag or dead-letter",
            "what a request answered by a version older than serving.maxModelAgeMs gets: flag, the prediction marked"
                    + " stale; dead-letter, no prediction and a dead letter (stage predict) instead");
    public static final JobKey<String> EVENTS_TOPIC = new JobKey<>("events.topic", "a topic name", null, JobKey.text(),
            JobConfig::checkTopic, "with an events input: the topic of raw keyed events (default unroll.NAME.events)");
    public static final JobKey<String> EVENTS_FORMAT = new JobKey<>("events.format", "json or avro", "json",
            JobKey.text(), v -> v.equals("json") || v.equals("avro") ? null : "must be json or avro",
            "how `produce`, `load` and `replay --events` write the events topic's records: JSON objects, or Avro's"
                    + " single-object encoding with events.schema (see docs/events.md); the job reads either");
    public static final JobKey<String> EVENTS_SCHEMA = new JobKey<>("events.schema", "a path", null, JobKey.text(),
            v -> null, "the Avro record schema (.avsc) of the events, relative to the job file; required with"
                    + " events.format: avro");
    public static final JobKey<String> EVENTS_KEY = new JobKey<>("events.key", "a field name", null, JobKey.text(),
            v -> null, "the event field naming its key (a device, a user, a metric); required for an events input,"
                    + " which a job has when its file has an events section (see docs/events.md)");
    public static final JobKey<String> EVENTS_TIME = new JobKey<>("events.time", "a field name", "time", JobKey.text(),
            v -> null, "the event-time field: epoch milliseconds, or ISO-8601 text with an offset");
    public static final JobKey<List<String>> EVENTS_FIELDS = new JobKey<>("events.fields", "a list of field names",
            null, JobKey.names(), v -> null, "numeric event fields clamped on the network's input units, in order"
                    + " (required for an events input)");
    public static final JobKey<Long> EVENTS_OUT_OF_ORDERNESS = new JobKey<>("events.maxOutOfOrdernessMs",
            "a whole number", 0L, JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 or positive",
            "how far (event time) behind the newest event an event may arrive and still count; the watermark trails"
                    + " the newest event time by this much, and a later event is dead-lettered as late");
    public static final JobKey<Long> EVENTS_IDLE_TIMEOUT = new JobKey<>("events.idleTimeoutMs", "a whole number",
            30_000L, JobKey.longInteger(), v -> v >= 0 ? null : "must be 0 (never) or positive",
            "a partition without events for this long (processing time) stops holding the watermark back; 0 is never");
    public static final JobKey<String> EVENTS_WINDOW = new JobKey<>("events.window.kind", "count or session", "count",
            JobKey.text(), v -> v.equals("count") || v.equals("session") ? null : "must be count or session",
            "count: a sequence every `slide` events of a key; session: a gap of `gapMs` or more between two events of a"
                    + " key ends a sequence");
    public static final JobKey<Integer> EVENTS_STEPS = new JobKey<>("events.window.steps", "a whole number", 16,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "count: the steps of each sequence; session: the most steps of a sequence (a longer session is cut into"
                    + " several as it grows)");
    public static final JobKey<Integer> EVENTS_SLIDE = new JobKey<>("events.window.slide", "a whole number", 1,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1", "count: events between the starts of two sequences");
    public static final JobKey<Long> EVENTS_GAP = new JobKey<>("events.window.gapMs", "a whole number", 0L,
            JobKey.longInteger(), v -> v >= 0 ? null : "must be positive",
            "session: a gap in event time of at least this many milliseconds ends a key's session (required for session)");
    public static final JobKey<Integer> EVENTS_MIN_STEPS = new JobKey<>("events.window.minSteps", "a whole number", 1,
            JobKey.integer(), v -> v >= 1 ? null : "must be at least 1",
            "session: a session (or its last part) of fewer steps is dropped");
    public static final JobKey<String> EVENTS_TARGETS = new JobKey<>("events.targets.kind", "next, label or none",
            "next", JobKey.text(), v -> v.equals("next") || v.equals("label") || v.equals("none") ? null
                    : "must be next, label or none",
            "next: the next value of the target fields at every step (forecasting); label: the target fields of a"
                    + " sequence's last event at its last step (classification); none: no targets (predictions only)");
    public static final JobKey<List<String>> EVENTS_TARGET_FIELDS = new JobKey<>("events.targets.fields",
            "a list of field names", null, JobKey.names(), v -> null,
            "numeric fields desired on the network's output units, in order (default: events.fields with next;"
                    + " required with label)");
    public static final JobKey<Integer> EVENTS_TARGET_STEPS = new JobKey<>("events.targets.lastSteps", "a whole number",
            0, JobKey.integer(), v -> v >= 0 ? null : "must be 0 or positive",
            "next: only the last this many steps have targets; 0 is every step");
    public static final JobKey<Map<String, double[]>> EVENTS_NORMALIZE = new JobKey<>("events.normalize",
            "a section of FIELD: {offset: X, scale: Y}", Map.of(), JobConfig::normalization, v -> null,
            "per field, a reading v enters the network as (v - offset) / scale (defaults 0 and 1)");

    public static final List<JobKey<?>> KEYS = List.of(NAME, NETWORK, BATCH_SIZE, LEARNING_RATE, OPTIMIZER, MOMENTUM,
            BETA1, BETA2, EPSILON, CLIP_NORM, LEARN_INITIAL_STATE, STALENESS, MODELS, IDLE_KEY_TTL, MAX_KEYS, MAX_UNITS,
            MAX_STEPS, MAX_RECORD_BYTES, PARALLELISM, CHECKPOINT_INTERVAL, CHECKPOINT_DIR, STATE_BACKEND,
            INCREMENTAL_CHECKPOINTS, BUFFER_TIMEOUT, PARAMETER_FORMAT, SEQUENCE_FORMAT, IN_PROCESS_VERSIONS,
            SEQUENCES_TOPIC, PARAMETERS_TOPIC, DEAD_LETTER_TOPIC, REQUESTS_TOPIC, PREDICTIONS_TOPIC, PARTITIONS,
            SIGNING_KEY_FILE, PROMETHEUS_PORT, QUALITY_WINDOW, QUALITY_FADING, GATE_FACTOR, MAX_MODEL_AGE, MODEL_AGE_CLOCK,
            STALE_MODELS,
            EVENTS_TOPIC, EVENTS_FORMAT, EVENTS_SCHEMA, EVENTS_KEY, EVENTS_TIME, EVENTS_FIELDS, EVENTS_OUT_OF_ORDERNESS, EVENTS_IDLE_TIMEOUT,
            EVENTS_WINDOW, EVENTS_STEPS, EVENTS_SLIDE, EVENTS_GAP, EVENTS_MIN_STEPS, EVENTS_TARGETS, EVENTS_TARGET_FIELDS,
            EVENTS_TARGET_STEPS, EVENTS_NORMALIZE);
    /** Sections whose contents are checked by whoever uses them. */
    private static final List<String> FREE_SECTIONS = List.of("task", "kafka");

    private final Path file;
    private final Map<String, Object> values;
    private final Map<String, Object> task;
    private final Map<String, String> kafka;
    private final SigningKey signingKey;
    /** whether the job reads raw events (an events section) rather than sequences */
    private final boolean events;

    private JobConfig(Path file, Map<String, Object> values, Map<String, Object> task, Map<String, String> kafka,
                      SigningKey signingKey, boolean events) {
        this.events = events;
        this.file = file;
        this.values = values;
        this.task = task;
        this.kafka = kafka;
        this.signingKey = signingKey;
    }

    public static JobConfig read(Path file) {
        String source = file.toString();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new JobException(source, "", "no such file");
        } catch (IOException e) {
            throw new JobException(source, "", "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new JobException(source, "", "must be a YAML mapping of keys");
        }
        Map<String, JsonNode> given = new LinkedHashMap<>();
        Map<String, Object> task = Map.of();
        Map<String, String> kafka = Map.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("task")) {
                task = freeSection(source, "task", e.getValue());
            } else if (e.getKey().equals("kafka")) {
                kafka = kafkaSection(source, e.getValue());
            } else {
                flatten(e.getKey(), e.getValue(), given);
            }
        }
        boolean events = given.keySet().stream().anyMatch(path -> path.equals("events") || path.startsWith("events."));
        Map<String, Object> values = new LinkedHashMap<>();
        for (JobKey<?> key : KEYS) {
            JsonNode node = given.remove(key.path);
            values.put(key.path, node == null || node.isNull() ? key.defaultValue : key.read(node, source));
        }
        if (!given.isEmpty()) {
            String unknown = given.keySet().iterator().next();
            throw new JobException(source, unknown, "unknown key (run `unroll keys` for the list)");
        }
        if (values.get(NETWORK.path) == null) {
            throw new JobException(source, NETWORK.path, "missing: the job needs its initial network");
        }
        if (values.get(NAME.path) == null) {
            values.put(NAME.path, file.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        }
        String name = (String) values.get(NAME.path);
        if (values.get(SEQUENCES_TOPIC.path) == null) {
            values.put(SEQUENCES_TOPIC.path, "unroll." + name + ".sequences");
        }
        if (values.get(PARAMETERS_TOPIC.path) == null) {
            values.put(PARAMETERS_TOPIC.path, "unroll." + name + ".parameters");
        }
        if (values.get(DEAD_LETTER_TOPIC.path) == null) {
            values.put(DEAD_LETTER_TOPIC.path, "unroll." + name + ".dead-letters");
        }
        if (values.get(REQUESTS_TOPIC.path) == null) {
            values.put(REQUESTS_TOPIC.path, "unroll." + name + ".requests");
        }
        if (values.get(PREDICTIONS_TOPIC.path) == null) {
            values.put(PREDICTIONS_TOPIC.path, "unroll." + name + ".predictions");
        }
        if (values.get(MODELS.path).equals("per-key") && (Integer) values.get(STALENESS.path) != 0) {
            // a key's update is applied where the key lives: there is no round trip for staleness to hide
            throw new JobException(source, STALENESS.path, "must be 0 with training.models: per-key (each key's update is"
                    + " applied in place, with no round trip to overlap), found " + values.get(STALENESS.path));
        }
        if (!values.get(OPTIMIZER.path).equals("sgd") && (Double) values.get(MOMENTUM.path) != 0.0) {
            throw new JobException(source, MOMENTUM.path, "must be 0 or absent with training.optimizer: "
                    + values.get(OPTIMIZER.path) + " (momentum is sgd's; adam's first moment, training.beta1, plays that"
                    + " part), found " + values.get(MOMENTUM.path));
        }
        if (events) {
            checkEvents(source, values);
        }
        kafka = ClientSettings.merge(source, kafka, System.getenv());
        Path absolute = file.toAbsolutePath().normalize();
        String keyFile = (String) values.get(SIGNING_KEY_FILE.path);
        SigningKey signingKey = SigningKey.resolve(source, keyFile == null ? null : absolute.getParent().resolve(keyFile),
                System.getenv());
        return new JobConfig(absolute, values, task, kafka, signingKey, events);
    }

    /** The checks of an events section that involve more than one key; the network's are in {@link #events}. */
    private static void checkEvents(String source, Map<String, Object> values) {
        for (JobKey<?> required : List.of(EVENTS_KEY, EVENTS_FIELDS)) {
            if (values.get(required.path) == null) {
                throw new JobException(source, required.path, "missing: an events input needs it");
            }
        }
        if (values.get(EVENTS_TOPIC.path) == null) {
            values.put(EVENTS_TOPIC.path, "unroll." + values.get(NAME.path) + ".events");
        }
        if (values.get(EVENTS_WINDOW.path).equals("session") && (Long) values.get(EVENTS_GAP.path) < 1) {
            throw new JobException(source, EVENTS_GAP.path, "missing: a session window needs a gap of at least 1 ms");
        }
        if (values.get(EVENTS_TARGETS.path).equals("label") && values.get(EVENTS_TARGET_FIELDS.path) == null) {
            throw new JobException(source, EVENTS_TARGET_FIELDS.path, "missing: label targets name the label fields");
        }
        if ((Integer) values.get(EVENTS_TARGET_STEPS.path) > (Integer) values.get(EVENTS_STEPS.path)) {
            throw new JobException(source, EVENTS_TARGET_STEPS.path, "must be at most events.window.steps ("
                    + values.get(EVENTS_STEPS.path) + "), found " + values.get(EVENTS_TARGET_STEPS.path));
        }
        @SuppressWarnings("unchecked")
        Map<String, double[]> normalize = (Map<String, double[]>) values.get(EVENTS_NORMALIZE.path);
        @SuppressWarnings("unchecked")
        List<String> fields = (List<String>) values.get(EVENTS_FIELDS.path);
        @SuppressWarnings("unchecked")
        List<String> targetFields = (List<String>) values.get(EVENTS_TARGET_FIELDS.path);
        for (String field : normalize.keySet()) {
            if (!fields.contains(field) && (targetFields == null || !targetFields.contains(field))) {
                throw new JobException(source, EVENTS_NORMALIZE.path + "." + field, "is not among events.fields or"
                        + " events.targets.fields");
            }
        }
    }

    private static Map<String, double[]> normalization(JsonNode node) {
        if (!node.isObject()) {
            return null;
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode offset = e.getValue().get("offset");
            JsonNode scale = e.getValue().get("scale");
            boolean known = e.getValue().isObject() && e.getValue().size() == (offset == null ? 0 : 1) + (scale == null ? 0 : 1);
            Double o = offset == null ? Double.valueOf(0) : JobKey.number().apply(offset);
            Double sc = scale == null ? Double.valueOf(1) : JobKey.number().apply(scale);
            if (!known || o == null || sc == null || sc == 0) {
                return null;
            }
            out.put(e.getKey(), new double[] {o, sc});
        }
        return Collections.unmodifiableMap(out);
    }

    private static void flatten(String path, JsonNode node, Map<String, JsonNode> into) {
        boolean section = KEYS.stream().anyMatch(k -> k.path.startsWith(path + "."));
        if (section && node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(path + "." + e.getKey(), e.getValue(), into);
            }
        } else {
            into.put(path, node);
        }
    }

    private static Map<String, Object> freeSection(String source, String name, JsonNode node) {
        if (!node.isObject()) {
            throw new JobException(source, name, "must be a section of keys");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new ObjectMapper().convertValue(node, LinkedHashMap.class);
        return Collections.unmodifiableMap(map);
    }

    private static Map<String, String> kafkaSection(String source, JsonNode node) {
        if (!node.isObject()) {
            throw new JobException(source, "kafka", "must be a section of Kafka client properties");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isContainerNode()) {
                throw new JobException(source, "kafka." + e.getKey(), "must be a plain value");
            }
            props.put(e.getKey(), e.getValue().asText());
        }
        return props;
    }

    private static String checkTopic(String topic) {
        return topic.matches("[a-zA-Z0-9._-]{1,249}") ? null : "must be a legal Kafka topic name";
    }

    @SuppressWarnings("unchecked")
    public <T> T get(JobKey<T> key) {
        return (T) values.get(key.path);
    }

    public Path file() {
        return file;
    }

    public String name() {
        return get(NAME);
    }

    public Path networkPath() {
        return file.getParent().resolve(get(NETWORK)).normalize();
    }

    public Limits limits() {
        return new Limits(get(MAX_UNITS), get(MAX_STEPS));
    }

    /** The job's update rule: {@code training.optimizer} and its settings. */
    public Optimizer.Settings optimizer() {
        return switch (get(OPTIMIZER)) {
            case "adam" -> Optimizer.Settings.adam(get(LEARNING_RATE), get(BETA1), get(BETA2), get(EPSILON), get(CLIP_NORM),
                    get(LEARN_INITIAL_STATE));
            case "adagrad" -> Optimizer.Settings.adagrad(get(LEARNING_RATE), get(EPSILON), get(CLIP_NORM),
                    get(LEARN_INITIAL_STATE));
            default -> Optimizer.Settings.sgd(get(LEARNING_RATE), get(MOMENTUM), get(CLIP_NORM), get(LEARN_INITIAL_STATE));
        };
    }

    /** The offline reference trainer of this job's rule, starting from {@code initial}. */
    public Trainer trainer(Network initial) {
        return new Trainer(initial, optimizer().create(), get(BATCH_SIZE), get(STALENESS), quality());
    }

    /** The prequential figures' window and fading factor. */
    public Prequential.Settings quality() {
        return new Prequential.Settings(get(QUALITY_WINDOW), get(QUALITY_FADING));
    }

    /** True with {@code training.models: per-key}: one model per sequence key. */
    public boolean perKey() {
        return get(MODELS).equals("per-key");
    }

    /** The topic the job trains from: its events topic with an events input, else its sequences topic. */
    public String inputTopic() {
        return get(events ? EVENTS_TOPIC : SEQUENCES_TOPIC);
    }

    /** True when the job reads raw keyed events (an {@code events} section) rather than sequences. */
    public boolean hasEvents() {
        return events;
    }

    /**
     * The job's events input, checked against its network (one field per input unit, one target
     * field per output unit); null when the job reads sequences.
     */
    public EventInput events(Network network) {
        if (!events) {
            return null;
        }
        String source = file.toString();
        List<String> fields = get(EVENTS_FIELDS);
        if (fields.size() != network.inputUnits().length) {
            throw new JobException(source, EVENTS_FIELDS.path, "names " + fields.size() + " fields for the network's "
                    + network.inputUnits().length + " input units, found " + fields);
        }
        EventRule.Targets targets = EventRule.Targets.valueOf(get(EVENTS_TARGETS).toUpperCase(java.util.Locale.ROOT));
        List<String> targetFields = targets == EventRule.Targets.NONE ? List.of()
                : get(EVENTS_TARGET_FIELDS) != null ? get(EVENTS_TARGET_FIELDS) : fields;
        if (targets != EventRule.Targets.NONE && targetFields.size() != network.outputUnits().length) {
            throw new JobException(source, EVENTS_TARGET_FIELDS.path, "names " + targetFields.size() + " target fields for"
                    + " the network's " + network.outputUnits().length + " output units, found " + targetFields);
        }
        Map<String, double[]> normalize = get(EVENTS_NORMALIZE);
        EventFields eventFields = new EventFields(get(EVENTS_KEY), get(EVENTS_TIME), fields, targetFields,
                column(fields, normalize, 0, 0.0), column(fields, normalize, 1, 1.0),
                column(targetFields, normalize, 0, 0.0), column(targetFields, normalize, 1, 1.0));
        EventRule rule = new EventRule(EventRule.Window.valueOf(get(EVENTS_WINDOW).toUpperCase(java.util.Locale.ROOT)),
                get(EVENTS_STEPS), get(EVENTS_SLIDE), get(EVENTS_GAP), get(EVENTS_MIN_STEPS), targets,
                get(EVENTS_TARGET_STEPS), network.outputUnits());
        return new EventInput(get(EVENTS_TOPIC), eventFields, rule, get(EVENTS_OUT_OF_ORDERNESS), get(EVENTS_IDLE_TIMEOUT),
                avroSchema(eventFields));
    }

    /** With {@code events.format: avro}, the schema's text, checked to hold the fields the job reads; else null. */
    private String avroSchema(EventFields fields) {
        if (get(EVENTS_FORMAT).equals("json")) {
            return null;
        }
        if (get(EVENTS_SCHEMA) == null) {
            throw new JobException(file.toString(), EVENTS_SCHEMA.path, "missing: events.format: avro needs the events'"
                    + " Avro schema");
        }
        Path schemaFile = file.getParent().resolve(get(EVENTS_SCHEMA)).normalize();
        String text;
        try {
            text = Files.readString(schemaFile);
        } catch (IOException e) {
            throw new JobException(file.toString(), EVENTS_SCHEMA.path, "cannot read " + schemaFile + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
        try {
            EventAvro.check(text, schemaFile.toString(), fields);
        } catch (ModelException e) {
            throw new JobException(file.toString(), EVENTS_SCHEMA.path, e.getMessage());
        }
        return text;
    }

    private static double[] column(List<String> fields, Map<String, double[]> normalize, int which, double otherwise) {
        return fields.stream().mapToDouble(f -> normalize.containsKey(f) ? normalize.get(f)[which] : otherwise).toArray();
    }

    /** The job's initial network, read and validated. */
    public Network loadNetwork() {
        return NetworkJson.read(networkPath(), limits());
    }

    /** The {@code task} section, for the sequence generator; empty when absent. */
    public Map<String, Object> task() {
        return task;
    }

    /** Kafka client properties from the {@code kafka} section and the environment (see ClientSettings). */
    public Map<String, String> kafka() {
        return Collections.unmodifiableMap(kafka);
    }

    /** The key that signs and checks parameter records, or null when they are not signed (see SigningKey). */
    public SigningKey signingKey() {
        return signingKey;
    }

    private static ParameterFormat parameterFormat(JsonNode node) {
        return node.isTextual() ? ParameterFormat.named(node.textValue()) : null;
    }

    private static SequenceFormat sequenceFormat(JsonNode node) {
        return node.isTextual() ? SequenceFormat.named(node.textValue()) : null;
    }
}
