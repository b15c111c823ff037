package dev.edgeopt.engine.kernels.gemm;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import java.util.function.IntConsumer;

/**
 * One GEMM shape prepared for repeated runs: {@code C[M,N] (+)= A[M,K] * B[K,N]} with either operand
 * packed once (a constant) or read through strides and packed per run into per-task scratch. The
 * owner sets the per-run pointers ({@link #a}, {@link #b}, {@link #c} and offsets, {@link #ep}) and
 * calls {@link #run}; nothing is allocated per run.
 *
 * <p>Work is split into one task per pool thread, over N when it has more register panels than M,
 * else over M, in panel-aligned chunks so every task reads whole packed panels.
 */
public final class GemmJob {
    public final int m, n, k;
    private final int tasks;
    private final boolean splitN;
    private final int chunk;
    private final float[] aPacked, bPacked;
    private final int aRs, aCs, bRs, bCs;
    private final float aScale;
    private final int ldc;
    private final Scratch.Ref bufA, bufB;
    private final float[][] tiles;
    private final IntConsumer body = this::task;
    private final ThreadPool pool;

    /** Per-run operands: A and B are ignored when packed at creation. */
    public float[] a, b, c;
    public int aOff, bOff, cOff;
    /** Add to C instead of overwriting it (Gemm's beta * C, prefilled by the owner). */
    public boolean accumulate;
    public final Sgemm.Epilogue ep = new Sgemm.Epilogue();

    /**
     * @param aConst  A when constant (packed now, scaled by {@code aScale}), else null
     * @param aRs     A's row stride, {@code aCs} its column stride (in the constant or in per-run A)
     * @param bConst  B when constant (packed now), else null
     * @param ldc     C's row stride
     */
    public GemmJob(KernelContext kc, int m, int n, int k, float[] aConst, int aConstOff, int aRs, int aCs, float aScale,
                   float[] bConst, int bConstOff, int bRs, int bCs, int ldc) {
        this.m = m;
        this.n = n;
        this.k = k;
        this.aRs = aRs;
        this.aCs = aCs;
        this.bRs = bRs;
        this.bCs = bCs;
        this.aScale = aScale;
        this.ldc = ldc;
        this.pool = kc.pool();
        int mPanels = (m + Sgemm.MR - 1) / Sgemm.MR, nPanels = (n + Sgemm.NR - 1) / Sgemm.NR;
        long work = (long) m * n * Math.max(k, 1);
        // Below ~100k MACs a parallel loop costs more than it saves.
        int t = work < 100_000 ? 1 : Math.min(kc.threads(), Math.max(mPanels, nPanels));
        this.tasks = Math.max(1, t);
        this.splitN = nPanels >= mPanels;
        this.chunk = splitN ? Sgemm.roundUp((n + tasks - 1) / tasks, Sgemm.NR) : Sgemm.roundUp((m + tasks - 1) / tasks, Sgemm.MR);
        if (aConst != null) {
            aPacked = new float[Sgemm.packedASize(m, k)];
            Sgemm.packA(aConst, aConstOff, aRs, aCs, m, k, aScale, aPacked, 0);
            bufA = null;
        } else {
            aPacked = null;
            bufA = kc.scratch(dev.edgeopt.ir.DType.FLOAT, tasks * Sgemm.MC * Sgemm.KC);
        }
        if (bConst != null) {
            bPacked = new float[Sgemm.packedBSize(k, n)];
            Sgemm.packB(bConst, bConstOff, bRs, bCs, k, n, 1f, bPacked, 0);
            bufB = null;
        } else {
            bPacked = null;
            bufB = kc.scratch(dev.edgeopt.ir.DType.FLOAT, tasks * Sgemm.KC * Math.min(Sgemm.NC, Sgemm.roundUp(n, Sgemm.NR)));
        }
        tiles = new float[tasks][Sgemm.MR * Sgemm.NR];
    }

    public int tasks() { return tasks; }

    /** Runs the whole GEMM on the pool. */
    public void run() { pool.parallelFor(tasks, body); }

    /** Runs the part of task {@code t}; for owners that fold the GEMM into their own parallel loop. */
    public void task(int t) {
        int m0 = 0, m1 = m, n0 = 0, n1 = n;
        if (splitN) {
            n0 = Math.min(n, t * chunk);
            n1 = Math.min(n, n0 + chunk);
        } else {
            m0 = Math.min(m, t * chunk);
            m1 = Math.min(m, m0 + chunk);
        }
        if (m0 >= m1 || n0 >= n1) return;
        Sgemm.Epilogue e = ep.isIdentity() ? null : ep;
        if (k == 0) {
            for (int i = m0; i < m1; i++) {
                int o = cOff + i * ldc;
                if (!accumulate) java.util.Arrays.fill(c, o + n0, o + n1, 0f);
                if (e != null) e.apply(c, o + n0, ldc, 1, n1 - n0, i, n0);
            }
            return;
        }
        float[] tile = tiles[t];
        float[] sa = bufA == null ? null : bufA.floats();
        int saOff = bufA == null ? 0 : bufA.offset() + t * Sgemm.MC * Sgemm.KC;
        float[] sb = bufB == null ? null : bufB.floats();
        int sbOff = bufB == null ? 0 : bufB.offset() + t * (bufB.elements() / tasks);
        int mp = Sgemm.roundUp(m, Sgemm.MR), np = Sgemm.roundUp(n, Sgemm.NR);
        for (int jc = n0; jc < n1; jc += Sgemm.NC) {
            int nc = Math.min(Sgemm.NC, n1 - jc);
            for (int pc = 0; pc < k; pc += Sgemm.KC) {
                int kc = Math.min(Sgemm.KC, k - pc);
                float[] bp;
                int bpo;
                if (bPacked != null) {
                    bp = bPacked;
                    bpo = pc * np + jc * kc;
                } else {
                    Sgemm.packBBlock(b, bOff + pc * bRs + jc * bCs, bRs, bCs, kc, nc, 1f, sb, sbOff);
                    bp = sb;
                    bpo = sbOff;
                }
                boolean load = accumulate || pc > 0, last = pc + kc == k;
                for (int ic = m0; ic < m1; ic += Sgemm.MC) {
                    int mc = Math.min(Sgemm.MC, m1 - ic);
                    float[] ap;
                    int apo;
                    if (aPacked != null) {
                        ap = aPacked;
                        apo = pc * mp + ic * kc;
                    } else {
                        Sgemm.packABlock(a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, aScale, sa, saOff);
                        ap = sa;
                        apo = saOff;
                    }
                    for (int jr = 0; jr < nc; jr += Sgemm.NR) {
                        int nr = Math.min(Sgemm.NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += Sgemm.MR) {
                            int mr = Math.min(Sgemm.MR, mc - ir);
                            int co = cOff + (ic + ir) * ldc + jc + jr;
                            Sgemm.tile(kc, ap, apo + ir * kc, bp, bpo + jr * kc, c, co, ldc, mr, nr, load, last, e, ic + ir, jc + jr, tile);
                        }
                    }
                }
            }
        }
    }
}
