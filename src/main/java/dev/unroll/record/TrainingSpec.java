package dev.unroll.record;

import dev.unroll.events.EventInput;
import dev.unroll.job.JobConfig;
import dev.unroll.job.JobException;
import dev.unroll.job.ParameterFormat;
import dev.unroll.job.Provenance;
import dev.unroll.format.Json;
import dev.unroll.model.Limits;
import dev.unroll.model.Network;
import dev.unroll.format.NetworkJson;
import dev.unroll.model.Optimizer;
import dev.unroll.model.Prequential;

import java.io.Serializable;
import java.util.UUID;

/**
 * What every operator of one training job needs to know, in a form Flink can ship to the
 * task managers: the network travels as its JSON text and is parsed once per operator instance.
 *
 * @param job             the job's name; parameter records of other jobs are ignored
 * @param run             names this submission of the job; with the attempt number it tells the
 *                        versions of this attempt from those a failed or stopped one published
 * @param networkJson     the initial network (structure and version-0 parameters), model.md format
 * @param limits          record limits for validation
 * @param maxRecordBytes  records larger than this are dead-lettered unread
 * @param batchSize       sequences per update
 * @param staleness       S: batch k's gradient is taken at version max(0, k - S)
 * @param shards          parallelism of the BPTT operator: each batch is cut into this many shards
 * @param optimizer       the update rule
 * @param parameterFormat how the aggregator writes parameter versions to Kafka
 * @param inProcessVersions BPTT instances in the aggregator's JVM take its versions in memory
 *                        instead of reading them back from the parameters topic
 * @param provenance      the job, its settings and the code, as JSON ({@code Provenance}), for every parameter record
 * @param perKey          with {@code training.models: per-key}, its settings; null for one model
 * @param quality         the prequential figures' window and fading factor
 * @param serving         which versions the prediction path may answer with
 * @param events          with an events input, how the job reads events and cuts them into sequences; null when
 *                        it reads sequences
 */
public record TrainingSpec(String job, String run, String networkJson, Limits limits, int maxRecordBytes,
                           int batchSize, int staleness, int shards, Optimizer.Settings optimizer,
                           ParameterFormat parameterFormat, boolean inProcessVersions, String provenance,
                           PerKey perKey, Prequential.Settings quality, ServingPolicy serving,
                           EventInput events)
        implements Serializable {
    /**
     * Per-key models: the most keys a trainer subtask holds, and how long an idle key lives (0: for ever).
     */
    public record PerKey(int maxKeysPerSubtask, long idleKeyTtlMs) implements Serializable {
    }

    /** The most BPTT instances a job may have. */
    public static final int MAX_SHARDS = 128;

    public static TrainingSpec of(JobConfig config, Network initial, int shards) {
        return new TrainingSpec(config.name(), UUID.randomUUID().toString(), NetworkJson.write(initial, null),
                config.limits(), config.get(JobConfig.MAX_RECORD_BYTES), config.get(JobConfig.BATCH_SIZE),
                config.get(JobConfig.STALENESS), shards, config.optimizer(), config.get(JobConfig.PARAMETER_FORMAT),
                config.get(JobConfig.IN_PROCESS_VERSIONS), Json.write(Provenance.of(config)),
                config.perKey() ? new PerKey(config.get(JobConfig.MAX_KEYS), config.get(JobConfig.IDLE_KEY_TTL)) : null,
                config.quality(), ServingPolicy.of(config), config.events(initial));
    }

    /** The spec for a command: the job's {@code stream.parallelism} unless the command line overrides it. */
    public static TrainingSpec forJob(JobConfig config, Network initial, Integer parallelismOverride) {
        int shards = parallelismOverride != null ? parallelismOverride : config.get(JobConfig.PARALLELISM);
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new JobException(config.file().toString(), "--parallelism",
                    "must be in 1.." + MAX_SHARDS + ", found " + shards);
        }
        return of(config, initial, shards);
    }

    public TrainingSpec withPerKey(PerKey settings) {
        return new TrainingSpec(job, run, networkJson, limits, maxRecordBytes, batchSize, staleness, shards, optimizer,
                parameterFormat, inProcessVersions, provenance, settings, quality, serving, events);
    }

    /** The same spec with every version read back from the parameters topic (or handed in memory, with true). */
    public TrainingSpec withInProcessVersions(boolean inProcess) {
        return new TrainingSpec(job, run, networkJson, limits, maxRecordBytes, batchSize, staleness, shards, optimizer,
                parameterFormat, inProcess, provenance, perKey, quality, serving, events);
    }

    /** True with per-key models. */
    public boolean isPerKey() {
        return perKey != null;
    }

    public Network network() {
        return NetworkJson.parse(networkJson, "job " + job + " network", limits);
    }

    /** The version batch {@code batch}'s gradient is taken at. */
    public long versionFor(long batch) {
        return Math.max(0, batch - staleness);
    }

    /** The epoch of the versions that attempt {@code attempt} of this submission publishes. */
    public String epoch(int attempt) {
        return run + "/" + attempt;
    }
}
