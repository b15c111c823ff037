package dev.edgeopt.engine.kernels.gemm;

/**
 * The packed {@link Sgemm} micro-kernel as a plain single-threaded call, for callers that split
 * work themselves: training parallelizes over batch samples and adds per-task partial sums in task
 * order, so each task needs a whole GEMM of its own rather than a slice of a shared one.
 *
 * <p>{@code C[M,N] (+)= A[M,K] * B[K,N]} with A and B read through row and column strides, so
 * transposed operands cost only a slower packing pass (linear next to the product). A may also be
 * given already packed in {@link Sgemm#packA}'s whole-operand layout (weights packed once per step
 * and reused for every sample). The result depends only on the operands and the shape, never on
 * timing: K is always accumulated in the same {@link Sgemm#KC} blocks in the same order.
 */
public final class SerialGemm {
    private final float[] packA = new float[Sgemm.MC * Sgemm.KC];
    private final float[] packB = new float[Sgemm.KC * Sgemm.NC];
    private final float[] tile = new float[Sgemm.MR * Sgemm.NR];

    /** Packing buffers for one thread; reuse it for every call that thread makes. */
    public SerialGemm() {}

    /** {@code C (+)= A * B}; {@code A[i,k] = a[aOff + i*aRs + k*aCs]}, {@code B[k,j] = b[bOff + k*bRs + j*bCs]}. */
    public void gemm(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        run(m, n, k, a, aOff, aRs, aCs, false, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
    }

    /** {@code C (+)= A * B} with A packed by {@link Sgemm#packA} (whole operand, {@code m x k}) at {@code ap[apOff]}. */
    public void gemmPackedA(int m, int n, int k, float[] ap, int apOff, float[] b, int bOff, int bRs, int bCs,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        run(m, n, k, ap, apOff, 0, 0, true, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
    }

    /**
     * {@code C (+)= A * B} with B packed by {@link Sgemm#packB} (whole operand, {@code k x n}) at
     * {@code bp[bpOff]}: an operand shared by every task (a layer's weights) is packed once.
     */
    public void gemmPackedB(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, float[] bp, int bpOff,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        run(m, n, k, a, aOff, aRs, aCs, false, bp, bpOff, -1, -1, c, cOff, ldc, accumulate);
    }

    /**
     * {@code C (+)= A * B} then {@code ep} on every tile (bias rows indexed from 0 = A's first
     * row), with A packed by {@link Sgemm#packA} and B read with unit column stride: the same
     * loops and register epilogue as one task of {@link GemmJob}, for owners that split work
     * themselves (a fused block computing one row band per task).
     */
    public void gemmPackedAEp(int m, int n, int k, float[] ap, int apOff, float[] b, int bOff, int bRs,
                              float[] c, int cOff, int ldc, boolean accumulate, Sgemm.Epilogue ep) {
        if (m <= 0 || n <= 0 || k <= 0) throw new IllegalArgumentException("empty GEMM " + m + "x" + n + "x" + k);
        Sgemm.Epilogue e = ep.isIdentity() ? null : ep;
        int mp = Sgemm.roundUp(m, Sgemm.MR);
        for (int jc = 0; jc < n; jc += Sgemm.NC) {
            int nc = Math.min(Sgemm.NC, n - jc);
            for (int pc = 0; pc < k; pc += Sgemm.KC) {
                int kc = Math.min(Sgemm.KC, k - pc);
                Sgemm.packBBlock(b, bOff + pc * bRs + jc, bRs, 1, kc, nc, 1f, packB, 0);
                boolean load = accumulate || pc > 0, last = pc + kc == k;
                for (int ic = 0; ic < m; ic += Sgemm.MC) {
                    int mc = Math.min(Sgemm.MC, m - ic);
                    int apo = apOff + pc * mp + ic * kc;
                    for (int jr = 0; jr < nc; jr += Sgemm.NR) {
                        int nr = Math.min(Sgemm.NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += Sgemm.MR) {
                            int mr = Math.min(Sgemm.MR, mc - ir);
                            int co = cOff + (ic + ir) * ldc + jc + jr;
                            Sgemm.tile(kc, ap, apo + ir * kc, packB, jr * kc, c, co, ldc, mr, nr, load, last, e, ic + ir, jc + jr, tile);
                        }
                    }
                }
            }
        }
    }

    /** bRs < 0 marks B as already packed (whole-operand layout at bOff). */
    private void run(int m, int n, int k, float[] a, int aOff, int aRs, int aCs, boolean aPacked, float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= 0 || n <= 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int mp = Sgemm.roundUp(m, Sgemm.MR), np = Sgemm.roundUp(n, Sgemm.NR);
        boolean bPacked = bRs < 0;
        for (int jc = 0; jc < n; jc += Sgemm.NC) {
            int nc = Math.min(Sgemm.NC, n - jc);
            for (int pc = 0; pc < k; pc += Sgemm.KC) {
                int kc = Math.min(Sgemm.KC, k - pc);
                float[] bp = packB;
                int bpo = 0;
                if (bPacked) {
                    bp = b;
                    bpo = bOff + pc * np + jc * kc;
                } else {
                    Sgemm.packBBlock(b, bOff + pc * bRs + jc * bCs, bRs, bCs, kc, nc, 1f, packB, 0);
                }
                boolean load = accumulate || pc > 0;
                for (int ic = 0; ic < m; ic += Sgemm.MC) {
                    int mc = Math.min(Sgemm.MC, m - ic);
                    float[] ap;
                    int apo;
                    if (aPacked) {
                        ap = a;
                        apo = aOff + pc * mp + ic * kc;
                    } else {
                        Sgemm.packABlock(a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, 1f, packA, 0);
                        ap = packA;
                        apo = 0;
                    }
                    for (int jr = 0; jr < nc; jr += Sgemm.NR) {
                        int nr = Math.min(Sgemm.NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += Sgemm.MR) {
                            int mr = Math.min(Sgemm.MR, mc - ir);
                            Sgemm.micro(kc, ap, apo + ir * kc, bp, bpo + jr * kc, c, cOff + (ic + ir) * ldc + jc + jr, ldc, mr, nr, load, false, null, 0, 0, tile);
                        }
                    }
                }
            }
        }
    }
}
