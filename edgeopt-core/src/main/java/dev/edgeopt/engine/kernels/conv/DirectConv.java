package dev.edgeopt.engine.kernels.conv;

import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D conv for few input channels with constant weights (a network's stem: 3 channels,
 * 3x3, stride 2). The input planes are copied once per image into the {@link PaddedPlane} layout;
 * then 16 consecutive outputs of {@value #MB} output channels are accumulated tap by tap in
 * registers, one input load feeding {@value #MB} FMAs. im2col + GEMM would first write the
 * {@code C*kh*kw x P} column matrix (27 x 12544 for MobileNet's stem) and pack it again, for a GEMM
 * whose K is too short to amortize its tile stores. A row's last vector overlaps the previous one
 * (recomputing a few lanes) rather than running past the row; the last channel block likewise
 * overlaps the previous block when M is not a multiple of {@value #MB}.
 */
public final class DirectConv implements Kernel {
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final int LW = W.length();
    /** Output channels per register block. */
    static final int MB = 4;
    /** Largest C*kh*kw handled: beyond it the GEMM's reuse of the input wins. */
    static final int MAX_TAPS = 32;

    private final ConvShape s;
    private final PaddedPlane layout;
    private final int planeStride, taps, blocks, tasks;
    private final int[] tapOff;
    private final float[] wt; // [block][tap][MB]
    private final float[] bias;
    private final float lo, hi;
    private final Scratch.Ref buf;
    private final ThreadPool pool;
    private final IntConsumer body = this::task;
    // Per-run state.
    private float[] ya;
    private int yOff;
    private int image;

    /**
     * Whether this kernel handles the conv: 2-D, one group, no dilation, few taps (but a spatial
     * window: a pointwise conv reads its input directly as the GEMM's B), rows of at least
     * one 16-lane vector on hardware that has 16 lanes, constant weights, and an activation that is
     * a clamp (none, Relu, Clip).
     */
    public static boolean applies(KernelContext kc, ConvShape s, Activation act) {
        return s.spatialRank == 2 && s.group == 1 && s.dh == 1 && s.dw == 1 && s.c * s.kh * s.kw <= MAX_TAPS && !s.pointwise()
                && s.ow >= LW && s.m >= MB && FloatVector.SPECIES_PREFERRED.length() >= LW
                && (act == Activation.NONE || act == Activation.RELU || act == Activation.CLIP)
                && kc.constant(1) != null && (!kc.hasInput(2) || kc.constant(2) != null);
    }

    public DirectConv(KernelContext kc, ConvShape s, Activation act, float p0, float p1) {
        this.s = s;
        this.pool = kc.pool();
        layout = new PaddedPlane(s);
        // Planes 64-byte aligned relative to each other, with the spare floats a fill may write.
        planeStride = (layout.size() + PaddedPlane.SPARE + 15) / 16 * 16;
        taps = s.c * s.kh * s.kw;
        tapOff = new int[taps];
        for (int ci = 0, t = 0; ci < s.c; ci++) {
            for (int a = 0; a < s.kh; a++) {
                for (int b = 0; b < s.kw; b++, t++) tapOff[t] = ci * planeStride + a * layout.rowLen + layout.colOff[b];
            }
        }
        blocks = (s.m + MB - 1) / MB;
        Tensor w = kc.constant(1);
        float[] wa = w.floats();
        wt = new float[blocks * taps * MB];
        for (int blk = 0; blk < blocks; blk++) {
            int m0 = blockStart(blk);
            for (int t = 0; t < taps; t++) {
                for (int i = 0; i < MB; i++) wt[(blk * taps + t) * MB + i] = wa[w.offset() + (m0 + i) * taps + t];
            }
        }
        bias = new float[s.m];
        Tensor b = kc.hasInput(2) ? kc.constant(2) : null;
        if (b != null) System.arraycopy(b.floats(), b.offset(), bias, 0, s.m);
        lo = act == Activation.RELU ? 0f : act == Activation.CLIP ? p0 : Float.NEGATIVE_INFINITY;
        hi = act == Activation.CLIP ? p1 : Float.POSITIVE_INFINITY;
        tasks = Math.max(1, Math.min(kc.threads(), s.oh));
        buf = kc.scratch(DType.FLOAT, Math.multiplyExact(s.c, planeStride));
    }

    private int blockStart(int blk) { return Math.min(blk * MB, s.m - MB); }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0];
        float[] pad = buf.floats();
        int po = buf.offset();
        ya = out[0].floats();
        yOff = out[0].offset();
        for (int n = 0; n < s.n; n++) {
            // The padding is shared scratch, so it is zeroed again each run; fills write only data.
            java.util.Arrays.fill(pad, po, po + s.c * planeStride, 0f);
            for (int ci = 0; ci < s.c; ci++) layout.fill(x.floats(), x.offset() + (n * s.c + ci) * s.h * s.w, pad, po + ci * planeStride);
            image = n;
            pool.parallelFor(tasks, body);
        }
        ya = null;
    }

    private void task(int t) {
        int per = (s.oh + tasks - 1) / tasks;
        int r0 = t * per, r1 = Math.min(s.oh, r0 + per);
        int plane = s.oh * s.ow;
        float[] pad = buf.floats();
        for (int blk = 0; blk < blocks; blk++) {
            int m0 = blockStart(blk);
            int yo = yOff + (image * s.m + m0) * plane;
            for (int r = r0; r < r1; r++) {
                row(pad, buf.offset() + r * s.sh * layout.rowLen, tapOff, taps, wt, blk * taps * MB, ya, yo + r * s.ow, plane, s.ow,
                        bias[m0], bias[m0 + 1], bias[m0 + 2], bias[m0 + 3], lo, hi);
            }
        }
    }

    /**
     * One output row of {@value #MB} channels. Static, scalar arguments and no calls inside, so the
     * accumulators stay in registers (C2 boxes vectors passed to methods it does not inline).
     */
    private static void row(float[] pad, int base, int[] tapOff, int taps, float[] wt, int wo, float[] ya, int yo, int plane, int ow,
                            float b0, float b1, float b2, float b3, float lo, float hi) {
        FloatVector vlo = FloatVector.broadcast(W, lo), vhi = FloatVector.broadcast(W, hi);
        int lastJ = ow - LW;
        int j = 0;
        // Four (then two) vectors per step where the row has them: each weight broadcast feeds
        // four (two) FMAs.
        for (; j + 4 * LW <= ow; j += 4 * LW) {
            FloatVector a0 = FloatVector.broadcast(W, b0), a1 = FloatVector.broadcast(W, b1);
            FloatVector a2 = FloatVector.broadcast(W, b2), a3 = FloatVector.broadcast(W, b3);
            FloatVector e0 = a0, e1 = a1, e2 = a2, e3 = a3;
            FloatVector f0 = a0, f1 = a1, f2 = a2, f3 = a3;
            FloatVector g0 = a0, g1 = a1, g2 = a2, g3 = a3;
            int q = base + j;
            for (int t = 0, k = wo; t < taps; t++, k += MB) {
                int o = q + tapOff[t];
                FloatVector xv = FloatVector.fromArray(W, pad, o), xw = FloatVector.fromArray(W, pad, o + LW);
                FloatVector xx = FloatVector.fromArray(W, pad, o + 2 * LW), xy = FloatVector.fromArray(W, pad, o + 3 * LW);
                FloatVector w = FloatVector.broadcast(W, wt[k]);
                a0 = w.lanewise(FMA, xv, a0);
                e0 = w.lanewise(FMA, xw, e0);
                f0 = w.lanewise(FMA, xx, f0);
                g0 = w.lanewise(FMA, xy, g0);
                w = FloatVector.broadcast(W, wt[k + 1]);
                a1 = w.lanewise(FMA, xv, a1);
                e1 = w.lanewise(FMA, xw, e1);
                f1 = w.lanewise(FMA, xx, f1);
                g1 = w.lanewise(FMA, xy, g1);
                w = FloatVector.broadcast(W, wt[k + 2]);
                a2 = w.lanewise(FMA, xv, a2);
                e2 = w.lanewise(FMA, xw, e2);
                f2 = w.lanewise(FMA, xx, f2);
                g2 = w.lanewise(FMA, xy, g2);
                w = FloatVector.broadcast(W, wt[k + 3]);
                a3 = w.lanewise(FMA, xv, a3);
                e3 = w.lanewise(FMA, xw, e3);
                f3 = w.lanewise(FMA, xx, f3);
                g3 = w.lanewise(FMA, xy, g3);
            }
            int y0 = yo + j;
            a0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0);
            e0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + LW);
            f0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 2 * LW);
            g0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 3 * LW);
            y0 += plane;
            a1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0);
            e1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + LW);
            f1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 2 * LW);
            g1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 3 * LW);
            y0 += plane;
            a2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0);
            e2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + LW);
            f2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 2 * LW);
            g2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 3 * LW);
            y0 += plane;
            a3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0);
            e3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + LW);
            f3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 2 * LW);
            g3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, y0 + 3 * LW);
        }
        for (; j + 2 * LW <= ow; j += 2 * LW) {
            FloatVector a0 = FloatVector.broadcast(W, b0), a1 = FloatVector.broadcast(W, b1);
            FloatVector a2 = FloatVector.broadcast(W, b2), a3 = FloatVector.broadcast(W, b3);
            FloatVector e0 = a0, e1 = a1, e2 = a2, e3 = a3;
            int q = base + j;
            for (int t = 0, k = wo; t < taps; t++, k += MB) {
                int o = q + tapOff[t];
                FloatVector xv = FloatVector.fromArray(W, pad, o), xw = FloatVector.fromArray(W, pad, o + LW);
                FloatVector w0 = FloatVector.broadcast(W, wt[k]), w1 = FloatVector.broadcast(W, wt[k + 1]);
                FloatVector w2 = FloatVector.broadcast(W, wt[k + 2]), w3 = FloatVector.broadcast(W, wt[k + 3]);
                a0 = w0.lanewise(FMA, xv, a0);
                e0 = w0.lanewise(FMA, xw, e0);
                a1 = w1.lanewise(FMA, xv, a1);
                e1 = w1.lanewise(FMA, xw, e1);
                a2 = w2.lanewise(FMA, xv, a2);
                e2 = w2.lanewise(FMA, xw, e2);
                a3 = w3.lanewise(FMA, xv, a3);
                e3 = w3.lanewise(FMA, xw, e3);
            }
            a0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + j);
            e0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + j + LW);
            a1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + plane + j);
            e1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + plane + j + LW);
            a2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 2 * plane + j);
            e2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 2 * plane + j + LW);
            a3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 3 * plane + j);
            e3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 3 * plane + j + LW);
        }
        for (; j < ow; j += LW) {
            int jj = Math.min(j, lastJ);
            FloatVector a0 = FloatVector.broadcast(W, b0), a1 = FloatVector.broadcast(W, b1);
            FloatVector a2 = FloatVector.broadcast(W, b2), a3 = FloatVector.broadcast(W, b3);
            int q = base + jj;
            for (int t = 0, k = wo; t < taps; t++, k += MB) {
                FloatVector xv = FloatVector.fromArray(W, pad, q + tapOff[t]);
                a0 = FloatVector.broadcast(W, wt[k]).lanewise(FMA, xv, a0);
                a1 = FloatVector.broadcast(W, wt[k + 1]).lanewise(FMA, xv, a1);
                a2 = FloatVector.broadcast(W, wt[k + 2]).lanewise(FMA, xv, a2);
                a3 = FloatVector.broadcast(W, wt[k + 3]).lanewise(FMA, xv, a3);
            }
            a0.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + jj);
            a1.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + plane + jj);
            a2.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 2 * plane + jj);
            a3.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yo + 3 * plane + jj);
        }
    }
}
