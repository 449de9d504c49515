package dev.unroll.stream;

import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.ServingPolicy;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The freshness bound ({@code serving.maxModelAgeMs}, as Flink ML's {@code maxAllowedModelDelayMs}):
 * an answer by a version older than the bound, or of unknown age, is flagged stale or, with
 * {@code serving.staleModels: dead-letter}, replaced by a dead letter (stage predict) that says
 * which version answered and how old it was. Counted in {@code staleAnswers}.
 */
final class StaleAnswers {
    private final ServingPolicy policy;
    private final Counter counter;

    StaleAnswers(ServingPolicy policy, MetricGroup metrics) {
        this.policy = policy;
        this.counter = metrics.counter("staleAnswers");
    }

    /**
     * With a bound, gives {@code answer} its version's age and marks it stale when {@code serving} (null: the starting network) is too old for
     * it; returns the dead letter that replaces it, or null when the answer goes out.
     *
     * @param of "" or, with per-key models, " of key K" for the dead letter's reason
     */
    DeadLetter judge(PredictionRecord answer, ParameterVersion serving, RawRecord request, String of) {
        if (policy.maxModelAgeMs() == 0) {
            return null;
        }
        long age = policy.ageMs(serving, request.timestamp, System.currentTimeMillis());
        answer.modelAgeMs = age;
        if (!policy.stale(age)) {
            return null;
        }
        counter.inc();
        answer.stale = true;
        if (!policy.deadLetter()) {
            return null;
        }
        String how = age < 0 ? "of unknown age (it has no publish time" + (policy.eventTime() && request.timestamp < 0
                ? ", or the request no timestamp" : "") + ")" : age + " ms old";
        return new DeadLetter(request.topic, request.partition, request.offset, request.key, request.value,
                PredictSequences.STAGE, request.origin() + ": version " + answer.version + of + " is " + how
                + ", older than serving.maxModelAgeMs " + policy.maxModelAgeMs() + " ("
                + (policy.eventTime() ? "event" : "wall") + " time)");
    }
}
