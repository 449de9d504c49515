package dev.unroll.cli;

import dev.unroll.model.BatchBenchWorkload;
import dev.unroll.model.BatchBptt;
import dev.unroll.model.GradientSum;
import dev.unroll.model.Gradients;
import dev.unroll.format.Json;
import dev.unroll.model.Network;
import dev.unroll.model.Sequence;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Times full BPTT (forward and backward, gradient sums) on a fixed workload:
 * a fully connected logistic network of N units, one clamped input unit, squared-error targets
 * on the last N/4 units at every step, batches of B sequences of T steps. Prints one JSON line:
 * the batched, multi-threaded {@link BatchBptt} throughput, and the plain single-threaded
 * {@link GradientSum} (the reference {@code Bptt}) on the same batch for comparison.
 */
@Command(name = "bench", description = "Times full BPTT on a fully connected logistic network; prints one JSON line.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--units", required = true, description = "N, units of the network")
    int units;

    @Option(names = "--steps", required = true, description = "T, steps of every sequence")
    int steps;

    @Option(names = "--batch", required = true, description = "B, sequences per batch")
    int batch;

    @Option(names = "--threads", description = "threads of the batched BPTT (default: available processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--seconds", description = "seconds to time each variant (default ${DEFAULT-VALUE}); at least one batch runs")
    double seconds = 5.0;

    @Option(names = "--warmup", description = "seconds of warm-up before each timing, wall and CPU time both (default ${DEFAULT-VALUE}); 0 for none")
    double warmup = 2.0;

    @Option(names = "--seed", description = "seed of the random network and sequences (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--no-baseline", description = "skip timing the plain single-threaded Bptt (for very long sequences)")
    boolean noBaseline;

    @Override
    public Integer call() {
        if (units < 1 || steps < 1 || batch < 1 || threads < 1) {
            throw new IllegalArgumentException("--units, --steps, --batch and --threads must be at least 1");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        Network net = BatchBenchWorkload.network(units, rnd);
        List<Sequence> seqs = BatchBenchWorkload.batch(net, steps, batch, rnd);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("units", units);
        out.put("steps", steps);
        out.put("batch", batch);
        out.put("threads", threads);
        double flopsPerBatch = 6.0 * units * units * (double) steps * batch;

        Timing batched = time(() -> BatchBptt.sum(net, seqs, threads));
        out.put("sequencesPerSecond", round(batch * batched.batchesPerSecond()));
        out.put("gflops", round(flopsPerBatch * batched.batchesPerSecond() / 1e9));
        out.put("batchesTimed", batched.batches);
        out.put("secondsTimed", round(batched.seconds));
        // on a shared machine the average understates the code: also the process's CPU time, the median and the fastest batch
        out.put("cpuSecondsTimed", round(batched.cpuSeconds));
        out.put("medianBatchSequencesPerSecond", round(batch / batched.batchSeconds.getPercentile(50)));
        out.put("fastestBatchSequencesPerSecond", round(batch / batched.batchSeconds.getMin()));
        out.put("sequencesPerCpuSecond", round(batch * batched.batchesPerCpuSecond()));
        if (!noBaseline) {
            Timing plain = time(() -> GradientSum.plain(net, seqs));
            out.put("baselineSequencesPerSecond", round(batch * plain.batchesPerSecond()));
            out.put("baselineGflops", round(flopsPerBatch * plain.batchesPerSecond() / 1e9));
            out.put("baselineSequencesPerCpuSecond", round(batch * plain.batchesPerCpuSecond()));
            out.put("baselineMedianBatchSequencesPerSecond", round(batch / plain.batchSeconds.getPercentile(50)));
            out.put("baselineFastestBatchSequencesPerSecond", round(batch / plain.batchSeconds.getMin()));
            out.put("speedup", round(batched.batchesPerSecond() / plain.batchesPerSecond()));
            out.put("maxRelativeDifference", maxRelativeDifference(plain.last, batched.last));
        }
        out.put("loss", batched.last.loss);
        out.put("heapMaxMiB", Runtime.getRuntime().maxMemory() >> 20);
        System.out.println(Json.write(out));
        return 0;
    }

    /** Whole batches timed: wall seconds, CPU seconds of the whole process over the same time, and each batch's seconds. */
    private record Timing(long batches, double seconds, double cpuSeconds, DescriptiveStatistics batchSeconds, Gradients last) {
        double batchesPerSecond() {
            return batches / seconds;
        }

        double batchesPerCpuSecond() {
            return batches / cpuSeconds;
        }
    }

    /** Warms up, then runs whole batches until the time is up (at least one). */
    private Timing time(Supplier<Gradients> run) {
        // warm-up is counted in CPU time: on a busy machine a few wall seconds may not be enough
        // for the JIT to compile the kernels, and then the timing would measure the interpreter
        Gradients last = null;
        long cpuWarmupStart = processCpuNanos();
        long start = System.nanoTime();
        while (System.nanoTime() - start < warmup * 1e9
                || (cpuWarmupStart >= 0 && processCpuNanos() - cpuWarmupStart < warmup * 1e9)) {
            last = run.get();
        }
        long batches = 0;
        long cpuStart = processCpuNanos();
        start = System.nanoTime();
        long elapsed;
        DescriptiveStatistics batchSeconds = new DescriptiveStatistics();
        do {
            long batchStart = System.nanoTime();
            last = run.get();
            batches++;
            long now = System.nanoTime();
            batchSeconds.addValue((now - batchStart) / 1e9);
            elapsed = now - start;
        } while (elapsed < seconds * 1e9);
        return new Timing(batches, elapsed / 1e9, (processCpuNanos() - cpuStart) / 1e9, batchSeconds, last);
    }

    /** CPU time of this JVM, all threads; -1 where the platform does not say. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The largest difference between the two sums, relative to the largest gradient entry. */
    private static double maxRelativeDifference(Gradients a, Gradients b) {
        double scale = 0.0;
        double diff = 0.0;
        for (int k = 0; k < a.weights.length; k++) {
            scale = Math.max(scale, Math.abs(a.weights[k]));
            diff = Math.max(diff, Math.abs(a.weights[k] - b.weights[k]));
        }
        for (int k = 0; k < a.biases.length; k++) {
            scale = Math.max(scale, Math.max(Math.abs(a.biases[k]), Math.abs(a.initialState[k])));
            diff = Math.max(diff, Math.max(Math.abs(a.biases[k] - b.biases[k]), Math.abs(a.initialState[k] - b.initialState[k])));
        }
        double lossDiff = Math.abs(a.loss - b.loss) / Math.max(Math.abs(a.loss), Double.MIN_NORMAL);
        return Math.max(scale == 0.0 ? diff : diff / scale, lossDiff);
    }

    private static double round(double x) {
        return Math.round(x * 1000.0) / 1000.0;
    }
}
