package dev.unroll.stream;

import dev.unroll.model.Parameters;
import dev.unroll.record.DeadLetter;
import dev.unroll.record.ParameterVersion;
import dev.unroll.record.PredictionRecord;
import dev.unroll.record.RawRecord;
import dev.unroll.record.TrainingSpec;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.ArrayList;
import java.util.List;
import dev.unroll.model.KeyedNetwork;

/**
 * The prediction path, wired from injected sources and sinks:
 * <pre>
 *   requests (P) -> predict (P, + the newest parameter version, broadcast) -> predictions
 *                          +-> dead letters (stage predict)
 *   versions (1) -> check version signatures -> broadcast; a record whose signature fails -> dead letters
 * </pre>
 * It has its own reader of the parameters topic rather than sharing training's: a shared reader
 * would let a backlog of requests hold back the versions training waits for. Part of the
 * training job ({@link TrainingJob#build}) and, alone, of {@code serve}. That is one model's path
 * ({@link OneModel#serve}); per-key models route each request to its key's model ({@link PerKeyModels#serve}).
 */
public final class ServingJob {
    /**
     * What the path reads and writes.
     *
     * @param parallelism instances of the request reader, the predictor and the predictions sink
     */
    public record Wiring(Source<RawRecord, ?, ?> requests, Source<ParameterVersion, ?, ?> versions,
                         Sink<PredictionRecord> predictions, Sink<DeadLetter> deadLetters, int parallelism) {
        public Wiring withVersions(Source<ParameterVersion, ?, ?> newVersions) {
            return new Wiring(requests, newVersions, predictions, deadLetters, parallelism);
        }
    }

    private ServingJob() {
    }

    /** A source of one version, for serving fixed parameters: nothing newer ever arrives. */
    public static Source<ParameterVersion, ?, ?> fixed(String job, long version, Parameters p) {
        return new DataGeneratorSource<>(new FixedVersion(job, version, p.weights, p.biases, p.initialState), 1,
                TypeInformation.of(ParameterVersion.class));
    }

    /** A source of each key's model of a per-key parameters file, for serving them fixed. */
    public static Source<ParameterVersion, ?, ?> fixedPerKey(String job, List<KeyedNetwork> models) {
        List<FixedKeyVersion> versions = new ArrayList<>();
        for (KeyedNetwork e : models) {
            Parameters p = e.network().parameters();
            versions.add(new FixedKeyVersion(job, e.key(), e.version(), p.weights, p.biases, p.initialState));
        }
        GeneratorFunction<Long, ParameterVersion> nth = k -> versions.get(k.intValue()).toVersion();
        return new DataGeneratorSource<>(nth, versions.size(), TypeInformation.of(ParameterVersion.class));
    }

    private record FixedKeyVersion(String job, String key, long version, double[] weights, double[] biases,
                                   double[] initialState) implements java.io.Serializable {
        ParameterVersion toVersion() {
            ParameterVersion v = new ParameterVersion(job, version, new Parameters(biases.length, weights, biases, initialState));
            v.key = key;
            return v;
        }
    }

    private record FixedVersion(String job, long version, double[] weights, double[] biases, double[] initialState)
            implements GeneratorFunction<Long, ParameterVersion> {
        @Override
        public ParameterVersion map(Long index) {
            return new ParameterVersion(job, version, new Parameters(biases.length, weights, biases, initialState));
        }
    }

    /**
     * The path inside the training job: version 0 is the job's network. {@code windows}, when not
     * null, are requests of the job's own (windows of events as they close), answered beside the
     * requests topic's.
     */
    static void build(StreamExecutionEnvironment env, TrainingSpec spec, ModelLayout layout, Wiring io,
                      DataStream<RawRecord> windows) {
        build(env, spec, layout, io, 0, windows);
    }

    /**
     * The path on its own ({@code serve}): {@code spec}'s network is version {@code initialVersion}
     * until a newer one arrives.
     */
    public static void build(StreamExecutionEnvironment env, TrainingSpec spec, Wiring io, long initialVersion) {
        build(env, spec, ModelLayout.of(spec), io, initialVersion, null);
    }

    /** The requests topic's requests (and the job's own windows), answered as {@code layout} says. */
    private static void build(StreamExecutionEnvironment env, TrainingSpec spec, ModelLayout layout, Wiring io,
                              long initialVersion, DataStream<RawRecord> windows) {
        DataStream<RawRecord> requests = env
                .fromSource(io.requests(), WatermarkStrategy.noWatermarks(), "requests")
                .setParallelism(io.parallelism()).uid("requests");
        if (windows != null) {
            requests = requests.union(windows);
        }
        layout.serve(env, spec, io, requests, initialVersion);
    }

    /**
     * The versions source, its refused records split off before anything serves them, to a dead-letter
     * sink of their own: chained to the source, it leaves the predictions' sinks chained to predict.
     */
    static SingleOutputStreamOperator<ParameterVersion> versions(StreamExecutionEnvironment env, Wiring io) {
        SingleOutputStreamOperator<ParameterVersion> checked = env
                .fromSource(io.versions(), WatermarkStrategy.noWatermarks(), "serving versions")
                .setParallelism(1).uid("serving-versions")
                .process(new DropRefusedVersions()).name("check version signatures").setParallelism(1)
                .uid("serving-refused-versions");
        checked.getSideOutput(DecodeSequences.DEAD_LETTERS).sinkTo(io.deadLetters()).name("version dead letters")
                .setParallelism(1).uid("serving-version-dead-letters-sink");
        return checked;
    }
}
