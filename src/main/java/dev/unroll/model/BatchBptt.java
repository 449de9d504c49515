package dev.unroll.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Bptt} for many sequences at once: the same forward and backward passes, run in step
 * for a group of sequences of equal length, so that each step's matrix-vector products become
 * matrix-matrix products ({@link Kernels}). {@link #sum} is a drop-in for
 * {@link GradientSum#plain}: the same masked and tied gradient sum, loss and count, equal to it up
 * to rounding (additions in another order, the logistic in its branch-free form): about 1e-15
 * relative to the largest derivative.
 *
 * <p>A sequence whose length no other shares runs as a batch of one through the same code:
 * that is still about twice as fast as {@link Bptt} (its products vectorise) and needs less
 * memory for very long sequences (no per-term target index).
 *
 * <p>Layout: a chunk's states at step t are B rows of N (batch x units), so the inner loops of
 * the products run over the N units, long enough to vectorise.
 *
 * <p>Work is cut into <em>chunks</em> of at most {@value #CHUNK} sequences of one length; the
 * cut depends only on the list (sequences grouped by length in order of first appearance,
 * each group split into near-equal chunks). Each chunk's sum is computed by whichever thread
 * takes it, and the chunk sums are added in chunk order, so the result is bit-for-bit the
 * same for any number of threads and any timing.
 *
 * <p>Memory: a chunk keeps its stack of activities, (T+1) x B x N numbers in blocks of 8 MB,
 * plus O(T) to find its targets by step; one sequence costs about 8 N T bytes.
 */
public final class BatchBptt {
    /** Sequences per unit of work: small enough to share a batch of 16 between two cores. */
    static final int CHUNK = 8;

    private static final AtomicInteger POOL_THREADS = new AtomicInteger();
    /** Helpers for {@link #sum(Network, List, int)}: daemon threads, started on demand, gone when idle. */
    private static final ExecutorService POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "unroll-bptt-" + POOL_THREADS.incrementAndGet());
                t.setDaemon(true);
                t.setContextClassLoader(null);
                return t;
            });

    private BatchBptt() {
    }

    /** The constrained gradient sum of the sequences, computed on the calling thread. */
    public static Gradients sum(Network net, List<Sequence> seqs) {
        return sum(net, seqs, 1, Runnable::run, CHUNK);
    }

    /**
     * The constrained gradient sum, computed by up to {@code threads} threads (the caller and
     * helpers from a shared pool of daemon threads). The result does not depend on
     * {@code threads}.
     */
    public static Gradients sum(Network net, List<Sequence> seqs, int threads) {
        return sum(net, seqs, threads, POOL, CHUNK);
    }

    /**
     * The constrained gradient sum, computed by the calling thread and up to {@code threads - 1}
     * tasks run on {@code helpers}. The result does not depend on {@code threads} or on the
     * executor.
     */
    public static Gradients sum(Network net, List<Sequence> seqs, int threads, Executor helpers) {
        return sum(net, seqs, threads, helpers, CHUNK);
    }

    static Gradients sum(Network net, List<Sequence> seqs, int threads, Executor helpers, int chunkSize) {
        return sum(net, seqs, threads, helpers, chunkSize, Stack.BLOCK);
    }

    /** With the chunk size and the stack's block size (numbers per block) chosen, for tests. */
    static Gradients sum(Network net, List<Sequence> seqs, int threads, Executor helpers, int chunkSize,
                         int blockNumbers) {
        Model model = new Model(net, blockNumbers);
        List<List<Sequence>> chunks = chunks(seqs, chunkSize);
        OrderedSum total = new OrderedSum(new Gradients(net.units()), chunks.size());
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            int i;
            while ((i = next.getAndIncrement()) < chunks.size()) {
                try {
                    total.put(i, chunk(model, chunks.get(i)));
                } catch (RuntimeException | Error e) {
                    next.set(chunks.size());
                    throw e;
                }
            }
        };
        List<CompletableFuture<Void>> running = new ArrayList<>();
        int helperCount = Math.min(threads, chunks.size()) - 1;
        for (int h = 0; h < helperCount; h++) {
            try {
                running.add(CompletableFuture.runAsync(worker, helpers));
            } catch (RejectedExecutionException e) {
                break;
            }
        }
        worker.run();
        for (CompletableFuture<Void> f : running) {
            try {
                f.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }
        Gradients sum = total.result();
        net.constrain(sum);
        return sum;
    }

    /**
     * Groups the sequences by length (groups in order of first appearance, file order within a
     * group) and splits each group into ceil(size / chunkSize) chunks of near-equal size.
     */
    static List<List<Sequence>> chunks(List<Sequence> seqs, int chunkSize) {
        return pick(seqs, cut(steps(seqs), chunkSize));
    }

    static int[] steps(List<Sequence> seqs) {
        int[] steps = new int[seqs.size()];
        for (int k = 0; k < steps.length; k++) {
            steps[k] = seqs.get(k).steps();
        }
        return steps;
    }

    /** The sequences of each chunk of {@code cut}. */
    static List<List<Sequence>> pick(List<Sequence> seqs, int[][] cut) {
        List<List<Sequence>> chunks = new ArrayList<>(cut.length);
        for (int[] chunk : cut) {
            List<Sequence> c = new ArrayList<>(chunk.length);
            for (int k : chunk) {
                c.add(seqs.get(k));
            }
            chunks.add(c);
        }
        return chunks;
    }

    /** {@link #chunks} from the sequences' lengths alone: each chunk as the indices of its sequences. */
    static int[][] cut(int[] steps, int chunkSize) {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int k = 0; k < steps.length; k++) {
            byLength.computeIfAbsent(steps[k], t -> new ArrayList<>()).add(k);
        }
        List<int[]> chunks = new ArrayList<>();
        for (List<Integer> group : byLength.values()) {
            int count = (group.size() + chunkSize - 1) / chunkSize;
            int from = 0;
            for (int c = 0; c < count; c++) {
                int size = group.size() / count + (c < group.size() % count ? 1 : 0);
                chunks.add(group.subList(from, from + size).stream().mapToInt(Integer::intValue).toArray());
                from += size;
            }
        }
        return chunks.toArray(new int[0][]);
    }

    /**
     * The unconstrained sum of each chunk (sequences of one length, as {@link #chunks} cuts them),
     * on the calling thread: the same numbers, bit for bit, that {@link #sum} adds up for them.
     */
    static List<Gradients> chunkSums(Network net, List<List<Sequence>> chunks) {
        Model model = new Model(net, Stack.BLOCK);
        List<Gradients> sums = new ArrayList<>(chunks.size());
        for (List<Sequence> c : chunks) {
            sums.add(chunk(model, c));
        }
        return sums;
    }

    /** Adds chunk sums in chunk order whatever order they finish in, keeping only those that wait. */
    private static final class OrderedSum {
        private final Gradients sum;
        private final Gradients[] waiting;
        private int added;

        OrderedSum(Gradients sum, int parts) {
            this.sum = sum;
            this.waiting = new Gradients[parts];
        }

        synchronized void put(int index, Gradients part) {
            waiting[index] = part;
            while (added < waiting.length && waiting[added] != null) {
                sum.add(waiting[added]);
                waiting[added] = null;
                added++;
            }
        }

        synchronized Gradients result() {
            if (added != waiting.length) {
                throw new IllegalStateException("only " + added + " of " + waiting.length + " chunks were summed");
            }
            return sum;
        }
    }

    /** The network's parameters as rows, shared read-only by every chunk of one call. */
    private static final class Model {
        final Network net;
        final int n;
        final Activation f;
        final boolean crossEntropy;
        final double[] biases;
        /** w[j][i]: weight from unit i to unit j */
        final double[][] w;
        /** wt[i][j] = w[j][i] */
        final double[][] wt;
        /** numbers per block of the stack */
        final int blockNumbers;

        Model(Network net, int blockNumbers) {
            this.net = net;
            this.blockNumbers = blockNumbers;
            this.n = net.units();
            this.f = net.activation();
            this.crossEntropy = net.loss() == Loss.CROSS_ENTROPY;
            Parameters p = net.parameters();
            this.biases = p.biases;
            this.w = new double[n][n];
            this.wt = new double[n][n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    w[j][i] = p.weights[j * n + i];
                    wt[i][j] = p.weights[j * n + i];
                }
            }
        }
    }

    /** One sequence's targets sorted by step (stable, so file order within a step). */
    private static final class StepTargets {
        /** entries of step t are at start[t] .. start[t+1]-1 */
        final int[] start;
        final Sequence.Target[] entries;

        StepTargets(Sequence seq) {
            int steps = seq.steps();
            List<Sequence.Target> targets = seq.targets();
            start = new int[steps + 2];
            for (Sequence.Target target : targets) {
                start[target.t() + 1]++;
            }
            for (int t = 1; t < start.length; t++) {
                start[t] += start[t - 1];
            }
            entries = new Sequence.Target[targets.size()];
            int[] fill = new int[steps + 1];
            for (Sequence.Target target : targets) {
                entries[start[target.t()] + fill[target.t()]++] = target;
            }
        }
    }

    /**
     * The stack of activities of a chunk: h_t of sequence b is N numbers of {@link #block(int)}
     * from {@link #offset(int, int)}, the B sequences of one step side by side. Blocks of at
     * most {@value #BLOCK} numbers (8 MB) rather than a row object per step: a long sequence's
     * stack is then a few large arrays, which G1 places straight in the old generation and never
     * copies, where a million small rows would be copied by every young collection.
     */
    private static final class Stack {
        static final int BLOCK = 1 << 20;
        final int batch;
        final int n;
        final int stepsPerBlock;
        final double[][] blocks;

        Stack(int steps, int batch, int n, int blockNumbers) {
            this.batch = batch;
            this.n = n;
            this.stepsPerBlock = Math.max(1, blockNumbers / (batch * n));
            int count = steps / stepsPerBlock + 1;
            blocks = new double[count][];
            for (int k = 0; k < count; k++) {
                int stepsHere = Math.min(stepsPerBlock, steps + 1 - k * stepsPerBlock);
                blocks[k] = new double[stepsHere * batch * n];
            }
        }

        double[] block(int t) {
            return blocks[t / stepsPerBlock];
        }

        int offset(int t, int b) {
            return ((t % stepsPerBlock) * batch + b) * n;
        }
    }

    /**
     * Full BPTT for one chunk of B sequences of equal length T; returns the unconstrained sum
     * of their per-copy derivatives, losses and count.
     */
    private static Gradients chunk(Model m, List<Sequence> chunk) {
        Pass pass = new Pass(m, chunk);
        for (int t = 1; t <= pass.steps; t++) {
            pass.forward(t);
        }
        for (int t = pass.steps; t >= 1; t--) {
            pass.backward(t);
        }
        return pass.finish();
    }

    /**
     * One chunk's passes, a step per call. The steps are methods of their own, called T times
     * each, because C2 compiled the one long method five times over while its loops ran
     * (on-stack replacement, up to 1.3 s each), on cores the BPTT threads needed: 4.2 s of
     * compilation for this package in a 13-s `replay`, 1.6 s with the steps apart.
     */
    private static final class Pass {
        final Model m;
        final Network net;
        final int n;
        final int batch;
        final int steps;
        final Sequence[] seqs;
        final StepTargets[] targets;
        /** forward: the stack of activities h_0 .. h_T, the inputs a_t, the losses */
        final Stack h;
        final double[][] a;
        final double[] losses;
        /** backward: the sums, and dE/dh at t and t - 1 */
        final Gradients sum;
        final double[][] gw;
        double[][] dh;
        double[][] dhPrev;
        final double[][] direct;
        final double[] delta;
        final double[][] hPrev;

        Pass(Model m, List<Sequence> chunk) {
            this.m = m;
            this.net = m.net;
            this.n = m.n;
            this.batch = chunk.size();
            this.steps = chunk.get(0).steps();
            this.seqs = chunk.toArray(new Sequence[0]);
            this.targets = new StepTargets[batch];
            for (int b = 0; b < batch; b++) {
                targets[b] = new StepTargets(seqs[b]);
            }
            h = new Stack(steps, batch, n, m.blockNumbers);
            a = new double[batch][n];
            losses = new double[batch];
            for (int b = 0; b < batch; b++) {
                Bptt.setInitialState(net, seqs[b], a[b]);
                System.arraycopy(a[b], 0, h.block(0), h.offset(0, b), n);
            }
            sum = new Gradients(n);
            gw = new double[n][n];
            dh = new double[batch][n];
            dhPrev = new double[batch][n];
            direct = new double[batch][n];
            delta = new double[batch * n];
            hPrev = new double[batch][n];
        }

        /** h_t from h_{t-1}, and the loss of step t. */
        void forward(int t) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(m.biases, 0, a[b], 0, n);
            }
            Kernels.addRowsTimesMatrix(a, h.block(t - 1), h.offset(t - 1, 0), m.wt, batch, n);
            double[] ht = h.block(t);
            for (int b = 0; b < batch; b++) {
                int at = h.offset(t, b);
                activate(m.f, a[b], ht, at, n);
                boolean clamped = t < steps && seqs[b].hasInputs();
                if (clamped) {
                    for (int k = 0; k < net.inputCount(); k++) {
                        ht[at + net.inputUnit(k)] = seqs[b].input(t, k);
                    }
                }
                losses[b] = addLoss(losses[b], m, targets[b], t, a[b], ht, at, clamped);
            }
        }

        /** Peels h_t off: its errors, its copy's derivatives, and dE/dh_{t-1}. */
        void backward(int t) {
            double[] gb = sum.biases;
            double[] ht = h.block(t);
            for (int b = 0; b < batch; b++) {
                int at = h.offset(t, b);
                StepTargets tb = targets[b];
                for (int e = tb.start[t]; e < tb.start[t + 1]; e++) {
                    Sequence.Target target = tb.entries[e];
                    int[] units = target.units();
                    double[] values = target.values();
                    for (int k = 0; k < units.length; k++) {
                        int u = units[k];
                        double err = ht[at + u] - values[k];
                        if (m.crossEntropy) {
                            direct[b][u] += err;   // dE/da of softplus cross-entropy: h - d
                        } else {
                            dh[b][u] += err;       // dE/dh of squared error
                        }
                    }
                }
                slopeTimes(m.f, dh[b], ht, at, direct[b], delta, b * n, n);
                if (m.crossEntropy) {
                    java.util.Arrays.fill(direct[b], 0.0);
                }
                if (t < steps && seqs[b].hasInputs()) {
                    for (int k = 0; k < net.inputCount(); k++) {
                        delta[b * n + net.inputUnit(k)] = 0.0;
                    }
                }
                for (int j = 0; j < n; j++) {
                    gb[j] += delta[b * n + j];
                }
                // the products want rows of their own (see Kernels): copy h_{t-1} out of its block
                System.arraycopy(h.block(t - 1), h.offset(t - 1, b), hPrev[b], 0, n);
                java.util.Arrays.fill(dhPrev[b], 0.0);
            }
            Kernels.addOuterProducts(gw, delta, hPrev, batch, n);
            Kernels.addRowsTimesMatrix(dhPrev, delta, 0, m.w, batch, n);
            double[][] swap = dh;
            dh = dhPrev;
            dhPrev = swap;
        }

        /** The chunk's sum, once every step is peeled off. */
        Gradients finish() {
            for (int b = 0; b < batch; b++) {
                Bptt.addInitialStateDerivatives(net, seqs[b], dh[b], sum.initialState);
                sum.loss += losses[b];
                for (Sequence.Target target : seqs[b].targets()) {
                    double[] ht = h.block(target.t());
                    int at = h.offset(target.t(), b);
                    for (int k = 0; k < target.units().length; k++) {
                        sum.judge(m.f, target.values()[k], ht[at + target.units()[k]]);
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                System.arraycopy(gw[j], 0, sum.weights, j * n, n);
            }
            sum.count = batch;
            return sum;
        }
    }

    /**
     * h = f(a), one loop per activation so that f is a constant the compiler can inline. The
     * logistic is written in the contract's own form 1/(1+e^-a), without {@link Activation}'s
     * branch on the sign of a: on real data that branch is mispredicted half the time and cost
     * more than the exponential. The two forms agree to an ulp or two; below a = -709, e^-a
     * overflows and h is 0 where the two-branch form gives e^a < 1e-308.
     */
    private static void activate(Activation f, double[] a, double[] h, int at, int n) {
        switch (f) {
            case LOGISTIC:
                for (int j = 0; j < n; j++) {
                    h[at + j] = 1.0 / (1.0 + Math.exp(-a[j]));
                }
                break;
            case TANH:
                for (int j = 0; j < n; j++) {
                    h[at + j] = Activation.TANH.apply(a[j]);
                }
                break;
            default:
                for (int j = 0; j < n; j++) {
                    h[at + j] = f.apply(a[j]);
                }
        }
    }

    /** delta = dh * f'(h) + direct, as in {@link Bptt}'s backward pass. */
    private static void slopeTimes(Activation f, double[] dh, double[] h, int at, double[] direct, double[] delta,
                                   int to, int n) {
        switch (f) {
            case LOGISTIC:
                for (int j = 0; j < n; j++) {
                    delta[to + j] = dh[j] * Activation.LOGISTIC.slope(h[at + j]) + direct[j];
                }
                break;
            case TANH:
                for (int j = 0; j < n; j++) {
                    delta[to + j] = dh[j] * Activation.TANH.slope(h[at + j]) + direct[j];
                }
                break;
            default:
                for (int j = 0; j < n; j++) {
                    delta[to + j] = dh[j] * f.slope(h[at + j]) + direct[j];
                }
        }
    }

    /** Adds the loss terms of step t of one sequence to {@code loss}, in the order {@link Bptt#forward} adds them. */
    private static double addLoss(double loss, Model m, StepTargets targets, int t, double[] a, double[] h, int at,
                                  boolean clamped) {
        for (int e = targets.start[t]; e < targets.start[t + 1]; e++) {
            Sequence.Target target = targets.entries[e];
            int[] units = target.units();
            double[] values = target.values();
            for (int k = 0; k < units.length; k++) {
                int u = units[k];
                double d = values[k];
                double hu = h[at + u];
                boolean fromData = clamped && m.net.isInputUnit(u);
                if (!m.crossEntropy) {
                    loss += 0.5 * (hu - d) * (hu - d);
                } else if (fromData) {
                    loss += Loss.crossEntropyOfState(hu, d);
                } else {
                    loss += Loss.crossEntropyOfNetInput(a[u], d);
                }
            }
        }
        return loss;
    }
}
