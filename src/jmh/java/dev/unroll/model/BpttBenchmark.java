package dev.unroll.model;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Full BPTT of one batch of the {@code bench} workload: the batched kernel on all cores, on one
 * core, and the plain reference. Scores are batches per second; multiply by {@code batch} for
 * sequences per second.
 *
 * <pre>
 * mvn -P jmh package -DskipTests
 * java -jar target/benchmarks.jar BpttBenchmark -p units=64,256
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BpttBenchmark {
    @Param({"64", "256"})
    int units;

    @Param("100")
    int steps;

    @Param("32")
    int batch;

    Network net;
    List<Sequence> seqs;
    int threads;

    @Setup
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        net = BatchBenchWorkload.network(units, rnd);
        seqs = BatchBenchWorkload.batch(net, steps, batch, rnd);
        threads = Runtime.getRuntime().availableProcessors();
    }

    @Benchmark
    public Gradients batchedAllCores() {
        return BatchBptt.sum(net, seqs, threads);
    }

    @Benchmark
    public Gradients batchedOneCore() {
        return BatchBptt.sum(net, seqs);
    }

    @Benchmark
    public Gradients plainBptt() {
        return GradientSum.plain(net, seqs);
    }
}
