package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.engine.kernels.gemm.Sgemm;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conv as GEMM per image and group: {@code Y_g[Mg, P] = W_g[Mg, Cg*k] * col_g[Cg*k, P]}. A 1x1
 * stride-1 unpadded conv reads the NCHW input directly as B (no copy); any other window is first
 * unrolled (im2col) into scratch. Weights are packed once when constant; bias and the activation run
 * in the GEMM epilogue. Pointwise convs over small maps run transposed (pixels as rows) when that
 * wastes fewer vector lanes.
 */
public final class GemmConv implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = S.length();
    // Two-vector shuffle taking the even lanes of (a, b): negative indices select from b.
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i < L ? 2 * i : 2 * i - 2 * L);
    private final ConvShape s;
    private final GemmJob[] jobs; // one per group when weights are constant, else one shared
    private final boolean pointwise;
    private final Scratch.Ref col;
    private final int kg, p, tasks;
    private final ThreadPool pool;
    private final IntConsumer im2colBody = this::im2colTask;
    /** The transposed form of a pointwise conv (see {@link #transposeWins}), else null. */
    private final GemmJob tJob;
    private final Scratch.Ref ytBuf;
    private final IntConsumer transposeBody = this::transposeTask;
    private float[] y;
    private int yOff;
    // Per-run state read by the parallel bodies.
    private float[] x;
    private int xOff, curN, curG;

    public GemmConv(KernelContext kc, ConvShape s, Activation act, float p0, float p1) {
        this.s = s;
        this.pool = kc.pool();
        this.tasks = kc.threads();
        kg = s.cg * s.kernelSize();
        p = s.outPlane();
        pointwise = s.pointwise();
        Tensor w = kc.constant(1);
        int bRs = p;
        boolean transposed = pointwise && w != null && s.group == 1 && transposeWins(p, s.mg);
        if (transposed) {
            jobs = new GemmJob[0];
        } else if (w != null) {
            jobs = new GemmJob[s.group];
            for (int g = 0; g < s.group; g++) {
                jobs[g] = new GemmJob(kc, s.mg, p, kg, w.floats(), w.offset() + g * s.mg * kg, kg, 1, 1f, null, 0, bRs, 1, p);
            }
        } else {
            jobs = new GemmJob[] {new GemmJob(kc, s.mg, p, kg, null, 0, kg, 1, 1f, null, 0, bRs, 1, p)};
        }
        for (GemmJob j : jobs) {
            j.ep.setActivation(act, p0, p1);
        }
        col = pointwise ? null : kc.scratch(DType.FLOAT, Math.multiplyExact(kg, p));
        if (transposed) {
            // Y^T[P, M] = X^T[P, K] * W^T[K, M]: the pixels become the GEMM's rows and the output
            // channels its vector columns. The bias becomes a column bias.
            tJob = new GemmJob(kc, p, s.mg, kg, null, 0, 1, s.inPlane(), 1f, w.floats(), w.offset(), 1, kg, s.mg);
            tJob.ep.setActivation(act, p0, p1);
            ytBuf = kc.scratch(DType.FLOAT, Math.multiplyExact(p, s.mg));
        } else {
            tJob = null;
            ytBuf = null;
        }
    }

    /**
     * Whether a pointwise conv with {@code n} pixels and {@code m} output channels uses more of
     * the register tile's lanes transposed: the tile spans two vectors of columns, so 49 pixels
     * (7x7 maps) fill 49 of 64 lanes, while 49 rows fill 49 of 54 tile rows and channel counts are
     * usually whole vectors. The transpose back costs a pass over an L2-sized output, hence the
     * margin.
     */
    static boolean transposeWins(int n, int m) {
        return lanesUsed(m) * n / Sgemm.roundUp(n, Sgemm.MR) > 1.1 * lanesUsed(n);
    }

    /** Fraction of computed lanes that are kept for {@code n} columns (a last panel of at most one vector computes one). */
    private static double lanesUsed(int n) {
        int half = Sgemm.NR / 2, full = n / Sgemm.NR * Sgemm.NR, rem = n - full;
        return n / (double) (full + (rem == 0 ? 0 : rem <= half ? half : Sgemm.NR));
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        if (tJob != null) {
            runTransposed(in, out);
            return;
        }
        Tensor xt = in[0], wt = in[1], bt = in.length > 2 ? in[2] : null, yt = out[0];
        x = xt.floats();
        xOff = xt.offset();
        int inP = s.inPlane();
        for (int n = 0; n < s.n; n++) {
            for (int g = 0; g < s.group; g++) {
                GemmJob j = jobs.length == 1 ? jobs[0] : jobs[g];
                if (jobs.length == 1 && wt != null) {
                    j.a = wt.floats();
                    j.aOff = wt.offset() + g * s.mg * kg;
                }
                if (pointwise) {
                    j.b = x;
                    j.bOff = xOff + (n * s.c + g * s.cg) * inP;
                } else {
                    curN = n;
                    curG = g;
                    pool.parallelFor(tasks, im2colBody);
                    j.b = col.floats();
                    j.bOff = col.offset();
                }
                j.c = yt.floats();
                j.cOff = yt.offset() + (n * s.m + g * s.mg) * p;
                if (bt != null) {
                    j.ep.rowBias = bt.floats();
                    j.ep.rowBiasOff = bt.offset() + g * s.mg;
                } else {
                    j.ep.rowBias = null;
                }
                j.run();
            }
        }
        x = null;
    }

    private void runTransposed(Tensor[] in, Tensor[] out) {
        Tensor xt = in[0], bt = in.length > 2 ? in[2] : null;
        tJob.a = xt.floats();
        tJob.c = ytBuf.floats();
        tJob.cOff = ytBuf.offset();
        tJob.ep.colBias = bt == null ? null : bt.floats();
        tJob.ep.colBiasOff = bt == null ? 0 : bt.offset();
        y = out[0].floats();
        for (int n = 0; n < s.n; n++) {
            tJob.aOff = xt.offset() + n * s.c * s.inPlane();
            tJob.run();
            yOff = out[0].offset() + n * s.m * p;
            pool.parallelFor(tasks, transposeBody);
        }
        y = null;
    }

    /** Channels [m0, m1) of {@code ytBuf[P, M]} into the NCHW output; rows of yt are read in order. */
    private void transposeTask(int t) {
        int per = (s.m + tasks - 1) / tasks;
        int m0 = t * per, m1 = Math.min(s.m, m0 + per);
        float[] src = ytBuf.floats();
        int so = ytBuf.offset();
        for (int i = 0; i < p; i++) {
            int r = so + i * s.m, d = yOff + i;
            for (int j = m0; j < m1; j++) y[d + j * p] = src[r + j];
        }
    }

    private void im2colTask(int t) {
        int per = (kg + tasks - 1) / tasks;
        int r0 = t * per, r1 = Math.min(kg, r0 + per);
        float[] dst = col.floats();
        int base = col.offset();
        int inP = s.inPlane();
        int kk = s.kernelSize(), khw = s.kh * s.kw;
        for (int r = r0; r < r1; r++) {
            int ci = r / kk, ki = r % kk;
            int kd = ki / khw, kh = (ki % khw) / s.kw, kw = ki % s.kw;
            int src = xOff + (curN * s.c + curG * s.cg + ci) * inP;
            int o = base + r * p;
            // Output columns whose input column falls inside the image: ow in [lo, hi).
            int offW = kw * s.dw - s.pw;
            int lo = offW >= 0 ? 0 : Math.min(s.ow, (-offW + s.sw - 1) / s.sw);
            int hi = Math.max(lo, Math.min(s.ow, s.w - offW <= 0 ? 0 : (s.w - offW + s.sw - 1) / s.sw));
            for (int od = 0; od < s.od; od++) {
                int id = od * s.sd - s.pd + kd * s.dd;
                for (int oh = 0; oh < s.oh; oh++, o += s.ow) {
                    int ih = oh * s.sh - s.ph + kh * s.dh;
                    if (id < 0 || id >= s.d || ih < 0 || ih >= s.h) {
                        java.util.Arrays.fill(dst, o, o + s.ow, 0f);
                        continue;
                    }
                    int row = src + (id * s.h + ih) * s.w + offW;
                    for (int ow = 0; ow < lo; ow++) dst[o + ow] = 0f;
                    if (s.sw == 1) {
                        System.arraycopy(x, row + lo, dst, o + lo, hi - lo);
                    } else if (s.sw == 2) {
                        // Stride 2 (stems, downsampling convs): the even lanes of two consecutive
                        // vectors. The odd lane past the last used one may be read, never used.
                        int ow = lo;
                        for (; ow + L <= hi && row + 2 * ow + 2 * L <= x.length; ow += L) {
                            FloatVector v0 = FloatVector.fromArray(S, x, row + 2 * ow);
                            FloatVector v1 = FloatVector.fromArray(S, x, row + 2 * ow + L);
                            v0.rearrange(EVEN, v1).intoArray(dst, o + ow);
                        }
                        for (; ow < hi; ow++) dst[o + ow] = x[row + 2 * ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) dst[o + ow] = x[row + ow * s.sw];
                    }
                    for (int ow = hi; ow < s.ow; ow++) dst[o + ow] = 0f;
                }
            }
        }
    }
}
