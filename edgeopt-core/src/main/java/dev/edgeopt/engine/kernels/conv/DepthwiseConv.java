package dev.edgeopt.engine.kernels.conv;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;
import static jdk.incubator.vector.VectorOperators.MUL;

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
 * 2-D depthwise conv (group == C == M, no dilation), any kernel and stride. Each input plane is
 * copied once into the zero-padded, stride-deinterleaved {@link PaddedPlane} layout, where a vector
 * of consecutive outputs reads consecutive floats for every tap, for stride 1 and 2 alike, and no
 * bounds checks remain in the inner loop. Planes are spread over the pool.
 *
 * <p>The int8 engine runs it on bytes ({@link #DepthwiseConv(KernelContext, ConvShape, PlaneSink)},
 * {@link #runBytes}): the padded planes are filled straight from the int8 input as {@code x - zp},
 * and each float output plane goes to a {@link PlaneSink} (the requantization) while it is still
 * in cache, so neither the input nor the output exists in float as a whole.
 */
public final class DepthwiseConv implements Kernel {
    // 8 lanes even where 16 exist: depthwise rows are short (7, 14, 28 outputs), so wider vectors
    // would mostly compute lanes that are thrown away.
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = S.length();
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final int LW = W.length();
    /** Spare floats after each task's buffer: a row's last vector may read past the row. */
    private static final int SPARE = PaddedPlane.SPARE;

    private final ConvShape s;
    private final Activation act;
    private final float p0, p1;
    private final PaddedPlane layout;
    private final int phaseLen, rowLen, rows, tasks;
    private final Scratch.Ref buf;
    private final ThreadPool pool;
    private final IntConsumer body = this::task;
    private final float[] wConst;
    private final float[][] tails;
    private final boolean clamp;
    private final float lo, hi;
    private final int[] colOff; // where tap kw of output column 0 sits in a padded row
    // Per-run state.
    private Tensor x, w, b, y;
    /** Bytes mode: the consumer of each output plane, per-task output planes; null otherwise. */
    private final PlaneSink sink;
    private final Scratch.Ref planeBuf;
    private byte[] xb;
    private int xbOff, xZp;
    private boolean xUnsigned;

    /**
     * Takes the float output planes of {@link #runBytes}. Called from the pool's threads, each
     * plane once; {@code plane} is {@code image * C + channel}, its {@code n} values
     * {@code src[so...]} (valid only during the call).
     */
    public interface PlaneSink {
        void plane(int plane, float[] src, int so, int n);
    }

    public static boolean applies(ConvShape s) {
        return s.spatialRank == 2 && s.group == s.c && s.group == s.m && s.dh == 1 && s.dw == 1;
    }

    public DepthwiseConv(KernelContext kc, ConvShape s, Activation act, float p0, float p1) {
        this(kc, s, act, p0, p1, null);
    }

    /**
     * For {@link #runBytes}: no bias or activation (the sink applies them), constant weights
     * (input 1) that hold exact integers when the sums must be exact.
     */
    public DepthwiseConv(KernelContext kc, ConvShape s, PlaneSink sink) {
        this(kc, s, Activation.NONE, 0f, 0f, java.util.Objects.requireNonNull(sink));
        if (wConst == null) throw kc.fail("depthwise on bytes needs constant weights");
    }

    private DepthwiseConv(KernelContext kc, ConvShape s, Activation act, float p0, float p1, PlaneSink sink) {
        this.s = s;
        this.sink = sink;
        this.act = act;
        this.p0 = p0;
        this.p1 = p1;
        this.pool = kc.pool();
        layout = new PaddedPlane(s);
        phaseLen = layout.phaseLen;
        rowLen = layout.rowLen;
        rows = layout.rows;
        int planes = s.n * s.c;
        tasks = Math.max(1, Math.min(kc.threads(), planes));
        // L spare floats per task: the last vector of a row may read past the row (masked on store).
        buf = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, rows * rowLen + SPARE));
        tails = new float[tasks][SPARE];
        // Stores may run up to a vector past a plane's end: the spare floats take them.
        planeBuf = sink == null ? null : kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, s.oh * s.ow + SPARE));
        // None, Relu and Clip are clamps, applied in registers by the 3x3 kernels.
        clamp = act == Activation.NONE || act == Activation.RELU || act == Activation.CLIP;
        lo = act == Activation.RELU ? 0f : act == Activation.CLIP ? p0 : Float.NEGATIVE_INFINITY;
        hi = act == Activation.CLIP ? p1 : Float.POSITIVE_INFINITY;
        colOff = layout.colOff;
        Tensor wc = kc.constant(1);
        if (wc != null) {
            wConst = new float[s.c * s.kh * s.kw];
            System.arraycopy(wc.floats(), wc.offset(), wConst, 0, wConst.length);
        } else {
            wConst = null;
        }
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        x = in[0];
        w = in[1];
        b = in.length > 2 ? in[2] : null;
        y = out[0];
        pool.parallelFor(tasks, body);
        x = w = b = y = null;
    }

    /**
     * Runs on int8 ({@code unsigned} false) or uint8 input {@code x[xOff...]} (NCHW), as if it were
     * {@code x - zp} in float, handing each output plane to the sink.
     */
    public void runBytes(byte[] x, int xOff, boolean unsigned, int zp) {
        if (sink == null) throw new IllegalStateException("not made for bytes");
        xb = x;
        xbOff = xOff;
        xUnsigned = unsigned;
        xZp = zp;
        pool.parallelFor(tasks, body);
        xb = null;
    }

    private void task(int t) {
        if (sink != null) {
            taskBytes(t);
            return;
        }
        int planes = s.n * s.c;
        int per = (planes + tasks - 1) / tasks;
        int p0i = t * per, p1i = Math.min(planes, p0i + per);
        float[] pad = buf.floats();
        int po = buf.offset() + t * (rows * rowLen + SPARE);
        float[] xa = x.floats(), ya = y.floats();
        float[] wa = wConst != null ? wConst : w.floats();
        int wOff = wConst != null ? 0 : w.offset();
        int taps = s.kh * s.kw;
        java.util.Arrays.fill(pad, po, po + rows * rowLen, 0f);
        for (int pl = p0i; pl < p1i; pl++) {
            int ch = pl % s.c;
            layout.fill(xa, x.offset() + pl * s.h * s.w, pad, po);
            float bias = b == null ? 0f : b.floats()[b.offset() + ch];
            int wo = wOff + ch * taps;
            int yo = y.offset() + pl * s.oh * s.ow;
            if (s.kh == 3 && s.kw == 3) {
                plane3x3Any(pad, po, rowLen, colOff, s.sh, s.sw, s.oh, s.ow, ya, yo, bias, wa, wo, tails[t], pl < p1i - 1, lo, hi);
            } else {
                planeGeneral(pad, po, rowLen, s.sh * rowLen, colOff, s.kh, s.kw, ya, yo, s.oh, s.ow, bias, wa, wo, tails[t], pl < p1i - 1);
            }
            if (!clamp || !(s.kh == 3 && s.kw == 3)) act.applyInPlace(ya, yo, s.oh * s.ow, p0, p1);
        }
    }

    private void taskBytes(int t) {
        int planes = s.n * s.c;
        int per = (planes + tasks - 1) / tasks;
        int p0i = t * per, p1i = Math.min(planes, p0i + per);
        float[] pad = buf.floats(), ob = planeBuf.floats();
        int po = buf.offset() + t * (rows * rowLen + SPARE), outP = s.oh * s.ow, oo = planeBuf.offset() + t * (outP + SPARE);
        int taps = s.kh * s.kw, inP = s.h * s.w;
        java.util.Arrays.fill(pad, po, po + rows * rowLen, 0f);
        for (int pl = p0i; pl < p1i; pl++) {
            layout.fill(xb, xbOff + pl * inP, xUnsigned, xZp, pad, po);
            int wo = (pl % s.c) * taps;
            // Each plane has its own output buffer with spare floats, so stores may always spill.
            if (s.kh == 3 && s.kw == 3) {
                plane3x3Any(pad, po, rowLen, colOff, s.sh, s.sw, s.oh, s.ow, ob, oo, 0f, wConst, wo, tails[t], true, lo, hi);
            } else {
                planeGeneral(pad, po, rowLen, s.sh * rowLen, colOff, s.kh, s.kw, ob, oo, s.oh, s.ow, 0f, wConst, wo, tails[t], true);
            }
            sink.plane(pl, ob, oo, outP);
        }
    }

    /**
     * A 3x3 plane, or a band of {@code oh} output rows of one, from its filled padded buffer at
     * {@code pad[po]}, with bias and the clamp {@code [lo, hi]}: the widest kernel the rows allow.
     * {@code spill}: whether stores may run past the last row (the caller computes what lies there
     * afterwards), else the ragged end goes through {@code tail}.
     */
    static void plane3x3Any(float[] pad, int po, int rowLen, int[] colOff, int sh, int sw, int oh, int ow,
                         float[] ya, int yo, float bias, float[] wa, int wo, float[] tail, boolean spill, float lo, float hi) {
        boolean wide16 = FloatVector.SPECIES_PREFERRED.length() >= LW;
        if (sh == 1 && sw == 1 && oh >= 2 && ow >= 12 && wide16) {
            int quads = oh / 4, done = 4 * quads;
            if (quads > 0) {
                plane3x3Rows4W(pad, po, rowLen, colOff[0], colOff[1], colOff[2], ya, yo, quads, ow, bias, wa, wo, tail, spill || done < oh, lo, hi);
            }
            if (oh - done >= 2) {
                plane3x3Rows2W(pad, po + done * rowLen, rowLen, colOff[0], colOff[1], colOff[2], ya, yo + done * ow, 1, ow, bias, wa, wo, tail, spill || done + 2 < oh, lo, hi);
                done += 2;
            }
            if (done < oh) {
                plane3x3Wide(pad, po + done * rowLen, rowLen, rowLen, colOff[0], colOff[1], colOff[2], ya, yo + done * ow, 1, ow, bias, wa, wo, tail, spill, lo, hi);
            }
        } else if (wide16 && ow >= 2 * LW) {
            plane3x3Wide(pad, po, rowLen, sh * rowLen, colOff[0], colOff[1], colOff[2], ya, yo, oh, ow, bias, wa, wo, tail, spill, lo, hi);
        } else {
            plane3x3(pad, po, rowLen, sh * rowLen, colOff[0], colOff[1], colOff[2], ya, yo, oh, ow, bias, wa, wo, tail, spill, lo, hi);
        }
    }

    /**
     * 3x3: the nine weights stay in registers; three partial sums (one per kernel row) hide FMA
     * latency. Static with plain int arguments, and no calls inside, so the vectors never leave
     * registers. A row's last partial vector is stored whole: the lanes past the row land on the
     * next row (or the next plane of the same task), which is computed afterwards and overwrites
     * them. Only a store that would reach past the task's last plane (another task's plane, or past
     * the tensor) goes through {@code tail} (a masked store would be one instruction but is not reliably
     * intrinsified).
     */
    private static void plane3x3(float[] pad, int po, int rowLen, int stepRow, int c0, int c1, int c2,
                                 float[] ya, int yo, int oh, int ow, float bias, float[] wa, int wo, float[] tail, boolean spill,
                                 float lo, float hi) {
        FloatVector w0 = FloatVector.broadcast(S, wa[wo]), w1 = FloatVector.broadcast(S, wa[wo + 1]), w2 = FloatVector.broadcast(S, wa[wo + 2]);
        FloatVector w3 = FloatVector.broadcast(S, wa[wo + 3]), w4 = FloatVector.broadcast(S, wa[wo + 4]), w5 = FloatVector.broadcast(S, wa[wo + 5]);
        FloatVector w6 = FloatVector.broadcast(S, wa[wo + 6]), w7 = FloatVector.broadcast(S, wa[wo + 7]), w8 = FloatVector.broadcast(S, wa[wo + 8]);
        FloatVector bv = FloatVector.broadcast(S, bias), vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
        int safeEnd = spill ? Integer.MAX_VALUE : yo + oh * ow; // stores may reach up to here
        // One flat loop over (row, chunk): a separate inner loop per row costs more than its work
        // on 7- and 14-wide rows (C2's loop entry overhead).
        int n = oh * ((ow + L - 1) / L);
        int r0 = po, yr = yo, j = 0;
        for (int k = 0; k < n; k++) {
            int r1 = r0 + rowLen, r2 = r1 + rowLen;
            FloatVector a0 = w0.lanewise(FMA, FloatVector.fromArray(S, pad, r0 + c0 + j), bv);
            FloatVector a1 = w3.lanewise(MUL, FloatVector.fromArray(S, pad, r1 + c0 + j));
            FloatVector a2 = w6.lanewise(MUL, FloatVector.fromArray(S, pad, r2 + c0 + j));
            a0 = w1.lanewise(FMA, FloatVector.fromArray(S, pad, r0 + c1 + j), a0);
            a1 = w4.lanewise(FMA, FloatVector.fromArray(S, pad, r1 + c1 + j), a1);
            a2 = w7.lanewise(FMA, FloatVector.fromArray(S, pad, r2 + c1 + j), a2);
            a0 = w2.lanewise(FMA, FloatVector.fromArray(S, pad, r0 + c2 + j), a0);
            a1 = w5.lanewise(FMA, FloatVector.fromArray(S, pad, r1 + c2 + j), a1);
            a2 = w8.lanewise(FMA, FloatVector.fromArray(S, pad, r2 + c2 + j), a2);
            FloatVector acc = a0.lanewise(ADD, a1).lanewise(ADD, a2).lanewise(MAX, vlo).lanewise(MIN, vhi);
            if (yr + j + L <= safeEnd) {
                acc.intoArray(ya, yr + j);
            } else {
                acc.intoArray(tail, 0);
                for (int i = 0; i < Math.min(L, ow - j); i++) ya[yr + j + i] = tail[i];
            }
            j += L;
            if (j >= ow) {
                j = 0;
                r0 += stepRow;
                yr += ow;
            }
        }
    }

    /**
     * 3x3 stride 1, two output rows per step: the four input rows they share are loaded once (12
     * loads for 18 FMAs instead of 18), which is what bounds this kernel. Rows of at least one
     * vector end with a vector that overlaps the previous one (recomputing a few lanes) instead of
     * spilling past the row, so both rows of a pair can be stored in any order. Narrower rows
     * spill into the following row, stored after them; only a spill past the task's last plane
     * goes through {@code tail}. {@code spill} says whether the plane continues after the last
     * pair (the caller computes an odd last row or the next plane afterwards).
     */
    private static void plane3x3Rows2W(float[] pad, int po, int rowLen, int c0, int c1, int c2,
                                       float[] ya, int yo, int pairs, int ow, float bias, float[] wa, int wo, float[] tail, boolean spill,
                                       float lo, float hi) {
        FloatVector w0 = FloatVector.broadcast(W, wa[wo]), w1 = FloatVector.broadcast(W, wa[wo + 1]), w2 = FloatVector.broadcast(W, wa[wo + 2]);
        FloatVector w3 = FloatVector.broadcast(W, wa[wo + 3]), w4 = FloatVector.broadcast(W, wa[wo + 4]), w5 = FloatVector.broadcast(W, wa[wo + 5]);
        FloatVector w6 = FloatVector.broadcast(W, wa[wo + 6]), w7 = FloatVector.broadcast(W, wa[wo + 7]), w8 = FloatVector.broadcast(W, wa[wo + 8]);
        FloatVector bv = FloatVector.broadcast(W, bias), vlo = FloatVector.broadcast(W, lo), vhi = FloatVector.broadcast(W, hi);
        int safeEnd = spill ? Integer.MAX_VALUE : yo + 2 * pairs * ow;
        int lastJ = Math.max(0, ow - LW);
        int n = pairs * ((ow + LW - 1) / LW);
        int r0 = po, yr = yo, j = 0;
        for (int k = 0; k < n; k++) {
            int jj = Math.min(j, lastJ);
            int q = r0 + jj;
            FloatVector x0 = FloatVector.fromArray(W, pad, q + c0), x1 = FloatVector.fromArray(W, pad, q + c1), x2 = FloatVector.fromArray(W, pad, q + c2);
            FloatVector a = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            a = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, a)));
            FloatVector b = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            a = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, a)));
            b = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, b)));
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            b = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, b)));
            a.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yr + jj);
            b = b.lanewise(MAX, vlo).lanewise(MIN, vhi);
            if (yr + ow + jj + LW <= safeEnd) {
                b.intoArray(ya, yr + ow + jj);
            } else {
                b.intoArray(tail, 0);
                for (int i = 0; i < Math.min(LW, ow - jj); i++) ya[yr + ow + jj + i] = tail[i];
            }
            j += LW;
            if (j >= ow) {
                j = 0;
                r0 += 2 * rowLen;
                yr += 2 * ow;
            }
        }
    }

    /** {@link #plane3x3Rows2W} with four output rows per step: six input rows loaded for four outputs (18 loads for 36 FMAs). */
    private static void plane3x3Rows4W(float[] pad, int po, int rowLen, int c0, int c1, int c2,
                                       float[] ya, int yo, int quads, int ow, float bias, float[] wa, int wo, float[] tail, boolean spill,
                                       float lo, float hi) {
        FloatVector w0 = FloatVector.broadcast(W, wa[wo]), w1 = FloatVector.broadcast(W, wa[wo + 1]), w2 = FloatVector.broadcast(W, wa[wo + 2]);
        FloatVector w3 = FloatVector.broadcast(W, wa[wo + 3]), w4 = FloatVector.broadcast(W, wa[wo + 4]), w5 = FloatVector.broadcast(W, wa[wo + 5]);
        FloatVector w6 = FloatVector.broadcast(W, wa[wo + 6]), w7 = FloatVector.broadcast(W, wa[wo + 7]), w8 = FloatVector.broadcast(W, wa[wo + 8]);
        FloatVector bv = FloatVector.broadcast(W, bias), vlo = FloatVector.broadcast(W, lo), vhi = FloatVector.broadcast(W, hi);
        int safeEnd = spill ? Integer.MAX_VALUE : yo + 4 * quads * ow;
        int lastJ = Math.max(0, ow - LW);
        int n = quads * ((ow + LW - 1) / LW);
        int r0 = po, yr = yo, j = 0;
        for (int k = 0; k < n; k++) {
            int jj = Math.min(j, lastJ);
            int q = r0 + jj;
            FloatVector x0 = FloatVector.fromArray(W, pad, q + c0), x1 = FloatVector.fromArray(W, pad, q + c1), x2 = FloatVector.fromArray(W, pad, q + c2);
            FloatVector a = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            a = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, a)));
            FloatVector b = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            a = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, a)));
            b = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, b)));
            FloatVector c = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            a.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yr + jj);
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            b = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, b)));
            c = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, c)));
            FloatVector d = w2.lanewise(FMA, x2, w1.lanewise(FMA, x1, w0.lanewise(FMA, x0, bv)));
            b.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yr + ow + jj);
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            c = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, c)));
            d = w5.lanewise(FMA, x2, w4.lanewise(FMA, x1, w3.lanewise(FMA, x0, d)));
            c.lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(ya, yr + 2 * ow + jj);
            q += rowLen;
            x0 = FloatVector.fromArray(W, pad, q + c0);
            x1 = FloatVector.fromArray(W, pad, q + c1);
            x2 = FloatVector.fromArray(W, pad, q + c2);
            d = w8.lanewise(FMA, x2, w7.lanewise(FMA, x1, w6.lanewise(FMA, x0, d))).lanewise(MAX, vlo).lanewise(MIN, vhi);
            if (yr + 3 * ow + jj + LW <= safeEnd) {
                d.intoArray(ya, yr + 3 * ow + jj);
            } else {
                d.intoArray(tail, 0);
                for (int i = 0; i < Math.min(LW, ow - jj); i++) ya[yr + 3 * ow + jj + i] = tail[i];
            }
            j += LW;
            if (j >= ow) {
                j = 0;
                r0 += 4 * rowLen;
                yr += 4 * ow;
            }
        }
    }

    /**
     * {@link #plane3x3} with 16 lanes, for rows of at least 32 outputs: half the loads and loop work per
     * output. A copy rather than a species parameter because C2 compiles vector operations to
     * instructions only when the species is a constant; a passed-in species boxes every vector.
     */
    private static void plane3x3Wide(float[] pad, int po, int rowLen, int stepRow, int c0, int c1, int c2,
                                 float[] ya, int yo, int oh, int ow, float bias, float[] wa, int wo, float[] tail, boolean spill,
                                 float lo, float hi) {
        FloatVector w0 = FloatVector.broadcast(W, wa[wo]), w1 = FloatVector.broadcast(W, wa[wo + 1]), w2 = FloatVector.broadcast(W, wa[wo + 2]);
        FloatVector w3 = FloatVector.broadcast(W, wa[wo + 3]), w4 = FloatVector.broadcast(W, wa[wo + 4]), w5 = FloatVector.broadcast(W, wa[wo + 5]);
        FloatVector w6 = FloatVector.broadcast(W, wa[wo + 6]), w7 = FloatVector.broadcast(W, wa[wo + 7]), w8 = FloatVector.broadcast(W, wa[wo + 8]);
        FloatVector bv = FloatVector.broadcast(W, bias), vlo = FloatVector.broadcast(W, lo), vhi = FloatVector.broadcast(W, hi);
        int safeEnd = spill ? Integer.MAX_VALUE : yo + oh * ow; // stores may reach up to here
        // One flat loop over (row, chunk): a separate inner loop per row costs more than its work
        // on 7- and 14-wide rows (C2's loop entry overhead).
        int n = oh * ((ow + LW - 1) / LW);
        int r0 = po, yr = yo, j = 0;
        for (int k = 0; k < n; k++) {
            int r1 = r0 + rowLen, r2 = r1 + rowLen;
            FloatVector a0 = w0.lanewise(FMA, FloatVector.fromArray(W, pad, r0 + c0 + j), bv);
            FloatVector a1 = w3.lanewise(MUL, FloatVector.fromArray(W, pad, r1 + c0 + j));
            FloatVector a2 = w6.lanewise(MUL, FloatVector.fromArray(W, pad, r2 + c0 + j));
            a0 = w1.lanewise(FMA, FloatVector.fromArray(W, pad, r0 + c1 + j), a0);
            a1 = w4.lanewise(FMA, FloatVector.fromArray(W, pad, r1 + c1 + j), a1);
            a2 = w7.lanewise(FMA, FloatVector.fromArray(W, pad, r2 + c1 + j), a2);
            a0 = w2.lanewise(FMA, FloatVector.fromArray(W, pad, r0 + c2 + j), a0);
            a1 = w5.lanewise(FMA, FloatVector.fromArray(W, pad, r1 + c2 + j), a1);
            a2 = w8.lanewise(FMA, FloatVector.fromArray(W, pad, r2 + c2 + j), a2);
            FloatVector acc = a0.lanewise(ADD, a1).lanewise(ADD, a2).lanewise(MAX, vlo).lanewise(MIN, vhi);
            if (yr + j + LW <= safeEnd) {
                acc.intoArray(ya, yr + j);
            } else {
                acc.intoArray(tail, 0);
                for (int i = 0; i < Math.min(LW, ow - j); i++) ya[yr + j + i] = tail[i];
            }
            j += LW;
            if (j >= ow) {
                j = 0;
                r0 += stepRow;
                yr += ow;
            }
        }
    }

    private static void planeGeneral(float[] pad, int po, int rowLen, int stepRow, int[] colOff, int kh, int kw,
                                     float[] ya, int yo, int oh, int ow, float bias, float[] wa, int wo, float[] tail, boolean spill) {
        int full = ow - ow % L;
        int safeEnd = spill ? Integer.MAX_VALUE : yo + oh * ow; // stores may reach up to here
        for (int r = 0; r < oh; r++) {
            int yr = yo + r * ow;
            int rb = po + r * stepRow;
            for (int j = 0; j < ow; j += L) {
                FloatVector acc = FloatVector.broadcast(S, bias);
                for (int a = 0; a < kh; a++) {
                    int rr = rb + a * rowLen + j;
                    int wk = wo + a * kw;
                    for (int b = 0; b < kw; b++) {
                        acc = FloatVector.broadcast(S, wa[wk + b]).lanewise(FMA, FloatVector.fromArray(S, pad, rr + colOff[b]), acc);
                    }
                }
                // Stored as the result of an operation called here (+ -0 changes no value): see
                // Sgemm's class comment.
                FloatVector o = acc.lanewise(ADD, FloatVector.broadcast(S, -0f));
                if (j < full || yr + j + L <= safeEnd) {
                    o.intoArray(ya, yr + j);
                } else {
                    o.intoArray(tail, 0);
                    for (int i = 0; i < ow - j; i++) ya[yr + j + i] = tail[i];
                }
            }
        }
    }
}
