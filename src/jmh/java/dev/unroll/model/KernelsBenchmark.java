package dev.unroll.model;

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
 * The matrix products of one BPTT step for a chunk of {@code rows} sequences: {@code B x N}
 * states times an {@code N x N} matrix (forward and carrying delta back), and the sum of outer
 * products (weight derivatives). Each is 2 N^2 B flops; scores are operations per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelsBenchmark {
    @Param({"64", "256"})
    int units;

    @Param("8")
    int rows;

    double[][] states;
    double[] flatStates;
    double[][] matrix;
    double[][] out;
    double[][] weightSums;

    @Setup
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        states = random(rows, units, rnd);
        flatStates = new double[rows * units];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(states[b], 0, flatStates, b * units, units);
        }
        matrix = random(units, units, rnd);
        out = new double[rows][units];
        weightSums = new double[units][units];
    }

    private static double[][] random(int r, int c, SplittableRandom rnd) {
        double[][] m = new double[r][c];
        for (double[] row : m) {
            for (int k = 0; k < c; k++) {
                row[k] = rnd.nextDouble() - 0.5;
            }
        }
        return m;
    }

    @Benchmark
    public double[][] rowsTimesMatrix() {
        Kernels.addRowsTimesMatrix(out, flatStates, 0, matrix, rows, units);
        return out;
    }

    @Benchmark
    public double[][] outerProducts() {
        Kernels.addOuterProducts(weightSums, flatStates, states, rows, units);
        return weightSums;
    }
}
