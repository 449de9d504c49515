package dev.unroll.model;

/**
 * The three matrix products of batched BPTT, written so that HotSpot's C2 compiler turns their
 * inner loops into AVX vector code by itself (no {@code jdk.incubator.vector}, no JVM flags).
 *
 * <p>Matrices are arrays of rows ({@code double[][]}), never one flat array with offsets: the
 * JDK 17 auto-vectoriser gives up on a loop like {@code c[co + j] += x * y[yo + j]} (two
 * different loop-invariant offsets) but vectorises {@code c[j] += x * y[j]}. Each product is
 * therefore built from one inner loop that updates a single row from four rows at a time
 * ({@link #addScaled4}): four rows keep loads per multiply-add low, and more than five stop
 * C2 from vectorising the loop at all (measured on JDK 17). A group of four zero coefficients
 * is skipped, which is exact for finite rows and saves the work of clamped units, masked-out
 * derivatives and steps after the last target.
 */
final class Kernels {
    private Kernels() {
    }

    /** c[j] += x0 y0[j] + x1 y1[j] + x2 y2[j] + x3 y3[j], for j < n. */
    static void addScaled4(double[] c, double x0, double[] y0, double x1, double[] y1,
                           double x2, double[] y2, double x3, double[] y3, int n) {
        for (int j = 0; j < n; j++) {
            c[j] += x0 * y0[j] + x1 * y1[j] + x2 * y2[j] + x3 * y3[j];
        }
    }

    /** c[j] += x y[j], for j < n. */
    static void addScaled(double[] c, double x, double[] y, int n) {
        for (int j = 0; j < n; j++) {
            c[j] += x * y[j];
        }
    }

    /**
     * Rows times a matrix: c[b][j] += sum_k x[from + b n + k] m[k][j], for b < rows and j, k < n.
     * With x = the states of step t-1 and m = W^T this is the forward net input of a chunk of
     * sequences; with x = the deltas and m = W it carries them back to the previous step. (x
     * only supplies scalar factors, so it may be one flat array.) The loop over rows sits inside
     * the loop over blocks of four rows of m, so each block (4 N numbers) is read from L2 once
     * per call and then stays in L1 while every row of c uses it.
     */
    static void addRowsTimesMatrix(double[][] c, double[] x, int from, double[][] m, int rows, int n) {
        int k = 0;
        for (; k + 3 < n; k += 4) {
            double[] m0 = m[k];
            double[] m1 = m[k + 1];
            double[] m2 = m[k + 2];
            double[] m3 = m[k + 3];
            for (int b = 0; b < rows; b++) {
                int xb = from + b * n + k;
                double x0 = x[xb];
                double x1 = x[xb + 1];
                double x2 = x[xb + 2];
                double x3 = x[xb + 3];
                if (x0 != 0.0 || x1 != 0.0 || x2 != 0.0 || x3 != 0.0) {
                    addScaled4(c[b], x0, m0, x1, m1, x2, m2, x3, m3, n);
                }
            }
        }
        for (; k < n; k++) {
            for (int b = 0; b < rows; b++) {
                double xk = x[from + b * n + k];
                if (xk != 0.0) {
                    addScaled(c[b], xk, m[k], n);
                }
            }
        }
    }

    /**
     * Sum of outer products: c[j][i] += sum_b x[b n + j] y[b][i], for b < rows and i, j < n.
     * With x = the chunk's deltas at step t and y = its states at t-1, this adds every
     * sequence's weight derivatives of that step. Row j of c stays in L1 while all B rows of y
     * are added to it.
     */
    static void addOuterProducts(double[][] c, double[] x, double[][] y, int rows, int n) {
        for (int j = 0; j < n; j++) {
            double[] cj = c[j];
            int b = 0;
            for (; b + 3 < rows; b += 4) {
                double x0 = x[b * n + j];
                double x1 = x[(b + 1) * n + j];
                double x2 = x[(b + 2) * n + j];
                double x3 = x[(b + 3) * n + j];
                if (x0 != 0.0 || x1 != 0.0 || x2 != 0.0 || x3 != 0.0) {
                    addScaled4(cj, x0, y[b], x1, y[b + 1], x2, y[b + 2], x3, y[b + 3], n);
                }
            }
            for (; b < rows; b++) {
                double xb = x[b * n + j];
                if (xb != 0.0) {
                    addScaled(cj, xb, y[b], n);
                }
            }
        }
    }
}
