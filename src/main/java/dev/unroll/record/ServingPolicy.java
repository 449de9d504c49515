package dev.unroll.record;

import dev.unroll.job.JobConfig;

import java.io.Serializable;

/**
 * Which parameter versions the prediction path may answer with (the job's {@code serving} keys;
 * docs/model-quality.md).
 *
 * @param gateFactor    0: every version as it arrives; otherwise a version only once its own
 *                      prequential loss is at most this times the best loss of a version served
 *                      so far ({@link ServingGate})
 * @param maxModelAgeMs 0: no bound; otherwise a version older than this is stale
 * @param eventTime     a version's age is the request's record timestamp minus its publish time
 *                      (false: the wall clock's now minus its publish time)
 * @param deadLetter    a stale answer is dead-lettered (false: it is flagged)
 */
public record ServingPolicy(double gateFactor, long maxModelAgeMs, boolean eventTime, boolean deadLetter)
        implements Serializable {
    public static ServingPolicy of(JobConfig config) {
        return new ServingPolicy(config.get(JobConfig.GATE_FACTOR), config.get(JobConfig.MAX_MODEL_AGE),
                config.get(JobConfig.MODEL_AGE_CLOCK).equals("event"), config.get(JobConfig.STALE_MODELS).equals("dead-letter"));
    }

    /**
     * How old {@code v} is when it answers a request whose record has timestamp
     * {@code requestTimestamp} (ms, -1 when it has none) at wall-clock {@code nowMs}; -1 when the
     * age cannot be known (a version with no publish time: the job's network, a parameters file,
     * or a request without a timestamp on the event clock).
     */
    public long ageMs(ParameterVersion v, long requestTimestamp, long nowMs) {
        long at = eventTime ? requestTimestamp : nowMs;
        return v == null || v.publishedAt <= 0 || at < 0 ? -1 : Math.max(0, at - v.publishedAt);
    }

    /** Whether an answer by a version of age {@code ageMs} ({@link #ageMs}) breaks the bound: an unknown age does. */
    public boolean stale(long ageMs) {
        return maxModelAgeMs > 0 && (ageMs < 0 || ageMs > maxModelAgeMs);
    }
}
