package dev.edgeopt.engine.kernels.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * SerialGemm against a double-precision triple loop, over row counts that leave every possible
 * last A panel (1 to MR rows), full and partial column panels, and K across a block boundary.
 */
class SerialGemmTest {
    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** C (+)= A * B in double, A row-major m x k, B row-major k x n, C with row stride ldc. */
    private static double[] reference(int m, int n, int k, float[] a, float[] b, float[] c0, int ldc, boolean accumulate) {
        double[] c = new double[c0.length];
        for (int i = 0; i < c0.length; i++) c[i] = c0[i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[i * ldc + j] : 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                c[i * ldc + j] = s;
            }
        return c;
    }

    @Test
    void matchesDoubleReferenceForEveryLastPanelHeight() {
        SplittableRandom r = new SplittableRandom(7);
        SerialGemm g = new SerialGemm();
        int[] ms = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 22, 32, 64, 100};
        int[] ns = {Sgemm.NR, 2 * Sgemm.NR + 3, 4, 196, 784};
        int[] ks = {1, 9, 144, Sgemm.KC + 17};
        for (int m : ms)
            for (int n : ns)
                for (int k : ks)
                    for (int mode = 0; mode < 3; mode++)
                        for (boolean acc : new boolean[] {false, true}) {
                            float[] a = random(r, m * k), b = random(r, k * n);
                            int ldc = n + 5;
                            // Rows past m and columns past n are sentinels the product must not touch.
                            float[] c = random(r, (m + 1) * ldc);
                            double[] want = reference(m, n, k, a, b, c, ldc, acc);
                            switch (mode) {
                                case 0 -> g.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, ldc, acc);
                                case 1 -> {
                                    // Both operands transposed in memory: strided packing.
                                    float[] at = new float[k * m], bt = new float[n * k];
                                    for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
                                    for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
                                    g.gemm(m, n, k, at, 0, 1, m, bt, 0, 1, k, c, 0, ldc, acc);
                                }
                                default -> {
                                    float[] ap = new float[Sgemm.packedASize(m, k)];
                                    Sgemm.packA(a, 0, k, 1, m, k, 1f, ap, 0);
                                    g.gemmPackedA(m, n, k, ap, 0, b, 0, n, 1, c, 0, ldc, acc);
                                }
                            }
                            for (int i = 0; i < c.length; i++) {
                                int row = i / ldc, col = i % ldc;
                                String at = "m=" + m + " n=" + n + " k=" + k + " mode=" + mode + " acc=" + acc + " C[" + row + "," + col + "]";
                                if (row >= m || col >= n) assertEquals((float) want[i], c[i], 0f, at + " (outside C) changed");
                                else assertEquals(want[i], c[i], 1e-5 * (k + 1), at);
                            }
                        }
    }

    @Test
    void shortLastPanelIsBitIdenticalToTheFullTile() {
        // Rows 12..15 of a 16-row product go through the short-panel kernel; padded with two zero
        // rows to 18 they go through the full 6-row tile. Training's determinism relies on the
        // result not depending on which kernel computed a row.
        SplittableRandom r = new SplittableRandom(11);
        SerialGemm g = new SerialGemm();
        for (int m : new int[] {14, 15, 16, 32, 64}) {
            int mp = Sgemm.roundUp(m, Sgemm.MR), n = 3 * Sgemm.NR, k = Sgemm.KC + 40;
            float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, mp * n);
            float[] aPad = java.util.Arrays.copyOf(a, mp * k);
            for (boolean acc : new boolean[] {false, true}) {
                float[] c = c0.clone(), cPad = c0.clone();
                g.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, acc);
                g.gemm(mp, n, k, aPad, 0, k, 1, b, 0, n, 1, cPad, 0, n, acc);
                assertArrayEquals(java.util.Arrays.copyOf(cPad, m * n), java.util.Arrays.copyOf(c, m * n), "m=" + m + " acc=" + acc);
            }
        }
    }
}
