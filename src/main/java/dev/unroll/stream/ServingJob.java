package dev.unroll.stream;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The prediction path, wired from injected sources and sinks:
 * <pre>
 *   requests (P) -> predict (P, + the newest parameter version, broadcast) -> predictions
 *                          +-> dead letters (stage predict)
 * </pre>
 * It has its own reader of the parameters topic rather than sharing training's: a shared reader
 * would let a backlog of requests hold back the versions training waits for. Part of the
 * training job ({@link TrainingJob#build}) and, alone, of {@code serve}.
 */
public final class ServingJob {
    /**
     * What the path reads and writes.
     *
     * @param parallelism instances of the request reader, the predictor and the predictions sink
     */
    public record Wiring(Source<RawRecord, ?, ?> requests, Source<ParameterVersion, ?, ?> versions,
                         Sink<PredictionRecord> predictions, Sink<DeadLetter> deadLetters, int parallelism) {
    }

    private ServingJob() {
    }

    public static void build(StreamExecutionEnvironment env, TrainingSpec spec, Wiring io) {
        BroadcastStream<ParameterVersion> versions = env
                .fromSource(io.versions(), WatermarkStrategy.noWatermarks(), "serving versions")
                .setParallelism(1).uid("serving-versions")
                .broadcast(PredictSequences.NEWEST);

        SingleOutputStreamOperator<PredictionRecord> predictions = env
                .fromSource(io.requests(), WatermarkStrategy.noWatermarks(), "requests")
                .setParallelism(io.parallelism()).uid("requests")
                .connect(versions)
                .process(new PredictSequences(spec)).name("predict").setParallelism(io.parallelism()).uid("predict");

        predictions.sinkTo(io.predictions()).name("predictions").setParallelism(io.parallelism()).uid("predictions-sink");
        predictions.getSideOutput(DecodeSequences.DEAD_LETTERS)
                .sinkTo(io.deadLetters()).name("prediction dead letters").setParallelism(io.parallelism())
                .uid("predict-dead-letters-sink");
    }
}
