package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.gemm.SerialGemm;
import dev.edgeopt.engine.kernels.gemm.Sgemm;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conv (2-D, NCHW) forward and gradient: grouped, depthwise, strided, padded and dilated.
 *
 * <p>Samples are split over the pool (as PyTorch does); each task unrolls a chunk of its samples
 * side by side (im2col, {@code [Cg*kh*kw, S*P]}) so every product is one large GEMM on the
 * engine's packed micro-kernel ({@link SerialGemm}) rather than one small GEMM per sample, whose
 * ragged last register panel (P = 196 or 49) would waste a third of the FMAs:
 * <ul>
 * <li>forward: {@code Y[Mg, S*P] = W_g * cols}, W packed once per step;
 * <li>weight gradient: {@code dW_g[Mg, K] += dY * cols^T} as dot products over pixels (both
 *     operands' contiguous dimension, so nothing is transposed; see {@link Blas#dotLanes}), in
 *     per-task partial sums that are added in task order, so a thread count always gives the same bits;
 * <li>input gradient: {@code dcols = W_g^T * dY}, then col2im (the adjoint of im2col).
 * </ul>
 * The columns are recomputed in the backward pass rather than kept from the forward one: the
 * unrolled input of a whole batch would be K times the activation (tens of MB per layer).
 * Depthwise convolutions (one input and one output channel per group) have no product worth a
 * GEMM and run as direct loops over each plane's taps.
 */
final class ConvGrad extends TrainOp {
    static void register(GradRules r) {
        r.register("Conv", ConvGrad::new);
    }

    private static final VectorSpecies<Float> S = Blas.S;
    private static final int L = Blas.L;
    /** Columns per GEMM: enough that the last ragged register panel is a small fraction, small enough for L2. */
    private static final int TARGET_COLUMNS = 1024;

    private final ThreadPool pool;
    private final int n, c, h, w, m, groups, cg, mg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, k, p, chunk;
    private final boolean direct, hasBias, depthwise;
    /**
     * Phase planes for unrolling (see {@link #splitPhases}): hq x wq each, phaseSize floats for cg
     * channels; which row and column phases some tap reads, the phase-plane columns holding input
     * per column phase, and each unrolled row's source offset at output pixel (0, 0).
     */
    private final int hq, wq, phaseSize;
    /** Depthwise: the output grid ({@code oh x wq}) rounded up to whole vectors. */
    private final int gridLen;
    /** Stride 1 with output width = input width: an unrolled row is the input plane shifted, copied in one run. */
    private final boolean flat;
    private final boolean[] rowPhase, colPhase;
    private final int[] colLo, colHi, tapSrc;
    /** Per input row: its offset in a channel's phase planes, or -1 when no tap reads it. */
    private final int[] rowOff;
    /** Per task: the phase-split input of one sample. */
    private final float[][] phases;
    /** The padded plane the windows reach (hp x wp). */
    private final int hp, wp;
    private final float[][] cols, dcols, ybufs, dWT, dB;
    /**
     * Per-task weight-gradient partials, still split into vector lanes ({@code [m][k][L]}): the
     * lanes are summed once per step in {@link #backward}, not after every sample chunk.
     */
    private final float[][] dWLanes;
    private final SerialGemm[] gemms;
    private final float[] wPack, wTPack;
    private final int packSize;
    private final Parallel.Loop forwardLoop, backwardLoop, reduceLoop;
    // Per-run operands read by the parallel bodies.
    private Tensor rx, rw, rb, ry, rgy, rgx, rgw;
    private boolean needW, needB;
    /** The input gradient is cleared by the backward tasks (see {@link TrainOp#acceptFirstWrite}). */
    private boolean clearGx;

    ConvGrad(TrainContext ctx) {
        ctx.requireFloat(0, 1, 2);
        int[] xs = ctx.inShape(0), ws = ctx.inShape(1);
        if (xs.length != 4 || ws.length != 4) throw ctx.fail("training supports 2-D convolution (rank-4 input and weight), got input " + Arrays.toString(xs) + " and weight " + Arrays.toString(ws));
        String autoPad = ctx.attrString("auto_pad", "NOTSET");
        n = xs[0]; c = xs[1]; h = xs[2]; w = xs[3];
        m = ws[0]; kh = ws[2]; kw = ws[3];
        groups = (int) ctx.attrInt("group", 1);
        if (groups < 1 || c % groups != 0 || m % groups != 0 || ws[1] != c / groups) {
            throw ctx.fail("weight " + Arrays.toString(ws) + " does not match " + c + " input channels in " + groups + " group(s)");
        }
        cg = c / groups; mg = m / groups;
        long[] ks = ctx.attrInts("kernel_shape", null);
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) throw ctx.fail("kernel_shape " + Arrays.toString(ks) + " disagrees with weight " + Arrays.toString(ws));
        long[] st = ctx.attrInts("strides", new long[] {1, 1}), dl = ctx.attrInts("dilations", new long[] {1, 1});
        long[] pads = ctx.attrInts("pads", new long[] {0, 0, 0, 0});
        sh = (int) st[0]; sw = (int) st[1]; dh = (int) dl[0]; dw = (int) dl[1];
        int ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
        int pb, pe, qb, qe;
        switch (autoPad) {
            case "NOTSET" -> { pb = (int) pads[0]; qb = (int) pads[1]; pe = (int) pads[2]; qe = (int) pads[3]; }
            case "VALID" -> { pb = pe = qb = qe = 0; }
            case "SAME_UPPER", "SAME_LOWER" -> {
                int toh = (h + sh - 1) / sh, tow = (w + sw - 1) / sw;
                int th = Math.max(0, (toh - 1) * sh + ekh - h), tw = Math.max(0, (tow - 1) * sw + ekw - w);
                boolean upper = autoPad.equals("SAME_UPPER");
                pb = upper ? th / 2 : th - th / 2; pe = th - pb;
                qb = upper ? tw / 2 : tw - tw / 2; qe = tw - qb;
            }
            default -> throw ctx.fail("unknown auto_pad '" + autoPad + "'");
        }
        ph = pb; pw = qb;
        oh = (h + pb + pe - ekh) / sh + 1;
        ow = (w + qb + qe - ekw) / sw + 1;
        if (oh <= 0 || ow <= 0) throw ctx.fail("kernel " + ekh + "x" + ekw + " does not fit input " + h + "x" + w + " with the given pads");
        hasBias = ctx.hasInput(2);
        if (hasBias && (ctx.inShape(2).length != 1 || ctx.inShape(2)[0] != m)) throw ctx.fail("bias must be [" + m + "], got " + Arrays.toString(ctx.inShape(2)));
        k = cg * kh * kw;
        p = oh * ow;
        direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pb == 0 && pe == 0 && qb == 0 && qe == 0;
        pool = ctx.pool();
        int tasks = Parallel.tasks(pool, n);
        chunk = Math.max(1, Math.min((n + tasks - 1) / tasks, TARGET_COLUMNS / p));
        int cn = chunk * p;
        boolean dwise = groups > 1 && cg == 1 && mg == 1;
        int ekh1 = (kh - 1) * dh + 1, ekw1 = (kw - 1) * dw + 1;
        hp = (oh - 1) * sh + ekh1;
        wp = (ow - 1) * sw + ekw1;
        hq = (hp + sh - 1) / sh;
        wq = (wp + sw - 1) / sw;
        phaseSize = cg * sh * sw * hq * wq;
        // Slack past the phase planes: a row's masked tail is read as a whole vector, and a
        // depthwise tap's run over the grid's junk columns ends up to wq past the last plane.
        int phaseBuffer = phaseSize + wq + 3 * L;
        cols = new float[tasks][dwise ? 0 : k * cn + L];
        dcols = new float[tasks][dwise ? phaseBuffer : k * cn + L];
        // Whole vectors: the runs are short (56 floats for 7x7 outputs at stride 2) and a scalar
        // tail would cost as much as the vectors.
        gridLen = Sgemm.roundUp(oh * wq, L);
        ybufs = new float[tasks][dwise ? gridLen : mg * cn];
        dWT = new float[tasks][dwise ? m * k : 0];
        dWLanes = new float[tasks][dwise ? 0 : m * k * Blas.L];
        dB = new float[tasks][m];
        gemms = new SerialGemm[tasks];
        for (int t = 0; t < tasks; t++) gemms[t] = new SerialGemm();
        depthwise = groups > 1 && cg == 1 && mg == 1;
        flat = sh == 1 && sw == 1 && ow == w;
        rowPhase = new boolean[sh];
        colPhase = new boolean[sw];
        for (int a = 0; a < kh; a++) rowPhase[a * dh % sh] = true;
        for (int bb = 0; bb < kw; bb++) colPhase[bb * dw % sw] = true;
        // Column phase px holds padded columns cq*sw + px; those with input are pw <= C < min(wp, pw + w).
        colLo = new int[sw];
        colHi = new int[sw];
        for (int px = 0; px < sw; px++) {
            if (!colPhase[px]) continue;
            colLo[px] = Math.max(0, (pw - px + sw - 1) / sw);
            colHi[px] = Math.max(colLo[px], (Math.min(wp, pw + w) - px + sw - 1) / sw);
        }
        rowOff = new int[h];
        for (int iy = 0; iy < h; iy++) {
            int r = iy + ph;
            rowOff[iy] = r < hp && rowPhase[r % sh] ? r % sh * sw * hq * wq + r / sh * wq : -1;
        }
        tapSrc = new int[k];
        for (int ci = 0, kk = 0; ci < cg; ci++) {
            for (int a = 0; a < kh; a++) {
                for (int bb = 0; bb < kw; bb++, kk++) {
                    tapSrc[kk] = ((ci * sh + a * dh % sh) * sw + bb * dw % sw) * hq * wq + a * dh / sh * wq + bb * dw / sw;
                }
            }
        }
        phases = new float[tasks][direct ? 0 : phaseBuffer];
        packSize = depthwise ? 0 : Math.max(Sgemm.packedASize(mg, k), Sgemm.packedASize(k, mg));
        wPack = new float[groups * packSize];
        wTPack = new float[groups * packSize];
        forwardLoop = new Parallel.Loop(pool, depthwise ? this::depthwiseForwardTask : this::forwardTask);
        backwardLoop = new Parallel.Loop(pool, depthwise ? this::depthwiseBackwardTask : this::backwardTask);
        reduceLoop = new Parallel.Loop(pool, this::reduceTask);
        ctx.setOutput(0, new int[] {n, m, oh, ow});
    }

    @Override public boolean acceptFirstWrite(int input) {
        if (input == 0) clearGx = true;
        return clearGx;
    }

    @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
        float[] wt = in[1].floats();
        int wo = in[1].offset();
        if (!depthwise) for (int g = 0; g < groups; g++) Sgemm.packA(wt, wo + g * mg * k, k, 1, mg, k, 1f, wPack, g * packSize);
        rx = in[0];
        rw = in[1];
        rb = hasBias ? in[2] : null;
        ry = out[0];
        forwardLoop.run(n);
        rx = rw = rb = ry = null;
    }

    private void forwardTask(int t, int s, int e) {
        float[] x = rx.floats(), y = ry.floats(), col = cols[t], yb = ybufs[t], xq = phases[t];
        int xo = rx.offset(), yo = ry.offset();
        SerialGemm gemm = gemms[t];
        for (int s0 = s; s0 < e; s0 += chunk) {
            int ns = Math.min(chunk, e - s0), cn = ns * p;
            for (int g = 0; g < groups; g++) {
                for (int si = 0; si < ns; si++) unroll(x, xo + ((s0 + si) * c + g * cg) * h * w, xq, col, si * p, cn);
                if (ns == 1) {
                    gemm.gemmPackedA(mg, p, k, wPack, g * packSize, col, 0, cn, 1, y, yo + (s0 * m + g * mg) * p, p, false);
                    continue;
                }
                gemm.gemmPackedA(mg, cn, k, wPack, g * packSize, col, 0, cn, 1, yb, 0, cn, false);
                for (int si = 0; si < ns; si++) {
                    for (int o = 0; o < mg; o++) System.arraycopy(yb, o * cn + si * p, y, yo + ((s0 + si) * m + g * mg + o) * p, p);
                }
            }
            if (rb != null) {
                float[] b = rb.floats();
                int bo = rb.offset();
                for (int i = s0; i < s0 + ns; i++) {
                    for (int o = 0; o < m; o++) {
                        float bv = b[bo + o];
                        int ys = yo + (i * m + o) * p;
                        for (int q = 0; q < p; q++) y[ys + q] += bv;
                    }
                }
            }
        }
    }

    @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
        Tensor gW = gIn[1], gB = hasBias ? gIn[2] : null;
        needW = gW != null;
        needB = gB != null;
        rgx = gIn[0];
        if (rgx == null && !needW && !needB) return;
        if (rgx != null && !depthwise) {
            float[] wt = in[1].floats();
            int wo = in[1].offset();
            // W_g^T [k, mg]: element (kk, o) at w[(g*mg + o)*k + kk].
            for (int g = 0; g < groups; g++) Sgemm.packA(wt, wo + g * mg * k, 1, k, k, mg, 1f, wTPack, g * packSize);
        }
        rx = in[0];
        rw = in[1];
        rgy = gOut[0];
        backwardLoop.run(n);
        rx = rw = rgy = rgx = null;
        int tasks = Parallel.tasks(pool, n);
        if (needW && !depthwise) {
            rgw = gW;
            reduceLoop.run(m * k);
            rgw = null;
        }
        for (int t = 0; t < tasks; t++) {
            if (needW && depthwise) Blas.axpy(m * k, 1f, dWT[t], 0, gW.floats(), gW.offset());
            if (needB) Blas.axpy(m, 1f, dB[t], 0, gB.floats(), gB.offset());
        }
    }

    /**
     * Depthwise planes run on the sample's phase-split padded plane ({@link #splitPhases}), so each
     * tap is one long vector axpy (or dot product) over the whole output grid, {@code oh x wq}
     * rounded up to whole vectors,
     * rather than a short one per output row: grid column c of row oy reads phase-plane pixel
     * tapSrc + oy*wq + c, and the columns past ow are junk that is never kept. A strided layer
     * thus computes its own outputs (plus junk columns), not the whole stride-1 grid. The backward
     * pass puts dY on the same grid (zeros in the junk columns, which cancels them), runs the
     * adjoints into phase planes of the input gradient and adds those back ({@link #mergePhases}).
     */
    private void depthwiseForwardTask(int t, int s, int e) {
        float[] x = rx.floats(), y = ry.floats(), wt = rw.floats(), xq = phases[t], y1 = ybufs[t];
        int xo = rx.offset(), yo = ry.offset(), wo = rw.offset(), len = gridLen;
        float[] b = rb == null ? null : rb.floats();
        for (int i = s; i < e; i++) {
            for (int ch = 0; ch < c; ch++) {
                splitPhases(x, xo + (i * c + ch) * h * w, xq);
                Arrays.fill(y1, 0, len, 0f);
                for (int kk = 0; kk < k; kk++) Blas.axpy(len, wt[wo + ch * k + kk], xq, tapSrc[kk], y1, 0);
                int ys = yo + (i * c + ch) * p;
                float bv = b == null ? 0f : b[rb.offset() + ch];
                for (int oy = 0; oy < oh; oy++) Blas.scaleShift(ow, y1, oy * wq, 1f, bv, y, ys + oy * ow);
            }
        }
    }

    private void depthwiseBackwardTask(int t, int s, int e) {
        float[] x = rx.floats(), gy = rgy.floats(), wt = rw.floats(), dwp = dWT[t], db = dB[t];
        float[] xq = phases[t], g1 = ybufs[t], gq = dcols[t];
        int xo = rx.offset(), gyo = rgy.offset(), wo = rw.offset(), len = gridLen;
        float[] gx = rgx == null ? null : rgx.floats();
        if (gx != null && clearGx) Arrays.fill(gx, rgx.offset() + s * c * h * w, rgx.offset() + e * c * h * w, 0f);
        if (needW) Arrays.fill(dwp, 0f);
        if (needB) Arrays.fill(db, 0f);
        // The junk columns [ow, wq) of each grid row stay zero: only the first ow are written below.
        Arrays.fill(g1, 0f);
        for (int i = s; i < e; i++) {
            for (int ch = 0; ch < c; ch++) {
                int gs = gyo + (i * c + ch) * p;
                if (needB) db[ch] += Blas.sum(gy, gs, p);
                for (int oy = 0; oy < oh; oy++) System.arraycopy(gy, gs + oy * ow, g1, oy * wq, ow);
                if (needW) {
                    splitPhases(x, xo + (i * c + ch) * h * w, xq);
                    for (int kk = 0; kk < k; kk++) dwp[ch * k + kk] += Blas.dot(len, g1, 0, xq, tapSrc[kk]);
                }
                if (gx != null) {
                    Arrays.fill(gq, 0, phaseSize, 0f);
                    for (int kk = 0; kk < k; kk++) Blas.axpy(len, wt[wo + ch * k + kk], g1, 0, gq, tapSrc[kk]);
                    mergePhases(gq, gx, rgx.offset() + (i * c + ch) * h * w);
                }
            }
        }
    }

    /** The adjoint of {@link #splitPhases}: adds the phase planes' input pixels into the gradient planes at {@code gx[gxs]}. */
    private void mergePhases(float[] gq, float[] gx, int gxs) {
        for (int ci = 0; ci < cg; ci++) {
            for (int iy = 0; iy < h; iy++) {
                int ro = rowOff[iy];
                if (ro < 0) continue;
                int dst = gxs + (ci * h + iy) * w, src = ci * sh * sw * hq * wq + ro;
                if (sw == 1) {
                    if (colHi[0] > colLo[0]) Blas.axpy(colHi[0] - colLo[0], 1f, gq, src + colLo[0], gx, dst + colLo[0] - pw);
                    continue;
                }
                for (int px = 0; px < sw; px++) {
                    int sq = src + px * hq * wq, dx = dst + px - pw;
                    for (int cq = colLo[px]; cq < colHi[px]; cq++) gx[dx + cq * sw] += gq[sq + cq];
                }
            }
        }
    }

    /**
     * Adds the tasks' weight-gradient partials for elements [s, e): per element, task by task and
     * each task's lanes left to right (as Blas.lanes), so the bits never depend on the JIT or on
     * how the elements are split. Over the pool: serial, it was a few MB per step on one thread.
     */
    private void reduceTask(int t, int s, int e) {
        float[] gw = rgw.floats();
        int gwo = rgw.offset(), tasks = dWLanes.length;
        for (int i = s; i < e; i++) {
            float acc = gw[gwo + i];
            for (int tt = 0; tt < tasks; tt++) {
                float[] part = dWLanes[tt];
                float sum = 0f;
                for (int l = 0, b = i * L; l < L; l++) sum += part[b + l];
                acc += sum;
            }
            gw[gwo + i] = acc;
        }
    }

    private void backwardTask(int t, int s, int e) {
        float[] x = rx.floats(), gy = rgy.floats(), col = cols[t], dcol = dcols[t], gyb = ybufs[t], dwl = dWLanes[t], db = dB[t], xq = phases[t];
        int xo = rx.offset(), gyo = rgy.offset();
        SerialGemm gemm = gemms[t];
        if (needW) Arrays.fill(dwl, 0f);
        if (needB) Arrays.fill(db, 0f);
        if (rgx != null && clearGx) Arrays.fill(rgx.floats(), rgx.offset() + s * c * h * w, rgx.offset() + e * c * h * w, 0f);
        for (int s0 = s; s0 < e; s0 += chunk) {
            int ns = Math.min(chunk, e - s0), cn = ns * p;
            for (int g = 0; g < groups; g++) {
                for (int si = 0; si < ns; si++) {
                    for (int o = 0; o < mg; o++) System.arraycopy(gy, gyo + ((s0 + si) * m + g * mg + o) * p, gyb, o * cn + si * p, p);
                }
                if (needW) {
                    for (int si = 0; si < ns; si++) unroll(x, xo + ((s0 + si) * c + g * cg) * h * w, xq, col, si * p, cn);
                    // dW_g[o, kk] += <dY row o, cols row kk>: both reduce over pixels, their contiguous
                    // dimension, so neither is transposed into a GEMM panel (that scalar packing cost
                    // more than the product at 16 channels).
                    Blas.dotLanes(k, mg, cn, col, 0, cn, gyb, 0, cn, dwl, g * mg * k * Blas.L, Blas.L, k * Blas.L);
                }
                if (rgx != null) {
                    gemm.gemmPackedA(k, cn, mg, wTPack, g * packSize, gyb, 0, cn, 1, dcol, 0, cn, false);
                    float[] gx = rgx.floats();
                    for (int si = 0; si < ns; si++) fold(dcol, si * p, cn, gx, rgx.offset() + ((s0 + si) * c + g * cg) * h * w);
                }
            }
            if (needB) {
                for (int i = s0; i < s0 + ns; i++) {
                    for (int o = 0; o < m; o++) db[o] += Blas.sum(gy, gyo + (i * m + o) * p, p);
                }
            }
        }
    }

    /** Writes one sample's columns at {@code col[row*ld + colOff + q]}; a 1x1 stride-1 conv's columns are its input planes. */
    private void unroll(float[] x, int xs, float[] xq, float[] col, int colOff, int ld) {
        if (direct) {
            for (int ci = 0; ci < cg; ci++) System.arraycopy(x, xs + ci * p, col, ci * ld + colOff, p);
        } else if (flat) {
            im2colFlat(x, xs, col, colOff, ld);
        } else {
            splitPhases(x, xs, xq);
            im2col(xq, col, colOff, ld);
        }
    }

    /** Adds one sample's column gradients back into its input gradient (the adjoint of {@link #unroll}). */
    private void fold(float[] dcol, int colOff, int ld, float[] gx, int gxs) {
        if (direct) {
            for (int ci = 0; ci < cg; ci++) Blas.axpy(p, 1f, dcol, ci * ld + colOff, gx, gxs + ci * p);
        } else {
            col2im(dcol, colOff, ld, gx, gxs);
        }
    }

    /**
     * Copies the cg planes at {@code x[xs]} into zero-padded planes split by stride phase: padded
     * pixel (R, C) goes to phase plane (R mod sh, C mod sw) at (R div sh, C div sw). Every tap
     * (a, b) then reads, for output row oy, one contiguous run of ow pixels of one phase plane at
     * tapSrc + oy*wq ({@link #im2col}): no padding tests and no strided gathers per element, which
     * made unrolling a stride-2 layer cost as much as its product. Only the phases some tap reads
     * are filled (a 1x1 stride-2 shortcut reads one of four). Stride-1 layers as wide as their
     * input keep {@link #im2colFlat}, one copy per tap, which measured faster there.
     */
    private void splitPhases(float[] x, int xs, float[] xq) {
        // No clearing: the same pixels are written every time, so the padding stays zero.
        for (int ci = 0; ci < cg; ci++) {
            for (int iy = 0; iy < h; iy++) {
                int ro = rowOff[iy];
                if (ro < 0) continue;
                int src = xs + (ci * h + iy) * w, dst = ci * sh * sw * hq * wq + ro;
                if (sw == 1) {
                    if (colHi[0] > colLo[0]) System.arraycopy(x, src + colLo[0] - pw, xq, dst + colLo[0], colHi[0] - colLo[0]);
                    continue;
                }
                for (int px = 0; px < sw; px++) {
                    int d = dst + px * hq * wq, sx = src + px - pw, end = colHi[px];
                    if (sw == 2) {
                        for (int cq = colLo[px]; cq < end; cq++) xq[d + cq] = x[sx + 2 * cq];
                    } else {
                        for (int cq = colLo[px]; cq < end; cq++) xq[d + cq] = x[sx + cq * sw];
                    }
                }
            }
        }
    }

    /** col[kk*ld + colOff + oy*ow + ox] = xq[tapSrc[kk] + oy*wq + ox]: one run of ow floats per tap and output row. */
    private void im2col(float[] xq, float[] col, int colOff, int ld) {
        for (int kk = 0; kk < k; kk++) {
            int src = tapSrc[kk], dst = kk * ld + colOff;
            for (int oy = 0; oy < oh; oy++, src += wq, dst += ow) {
                int q = 0;
                for (; q + L <= ow; q += L) FloatVector.fromArray(S, xq, src + q).intoArray(col, dst + q);
                if (q < ow) {
                    VectorMask<Float> m = S.indexInRange(q, ow);
                    FloatVector.fromArray(S, xq, src + q, m).intoArray(col, dst + q, m);
                }
            }
        }
    }

    /** The flat case of the unrolling: col[((ci*kh + a)*kw + b)*ld + colOff + q] = x[ci] shifted by the tap, borders zeroed. */
    private void im2colFlat(float[] x, int xs, float[] col, int colOff, int ld) {
        int row = 0;
        for (int ci = 0; ci < cg; ci++) {
            int plane = xs + ci * h * w;
            for (int a = 0; a < kh; a++) {
                for (int bb = 0; bb < kw; bb++, row++) {
                    int base = colOff + row * ld;
                    int ix0 = bb * dw - pw;
                    // ox range with 0 <= ox + ix0 < w
                    int lo = ix0 >= 0 ? 0 : -ix0;
                    int hi = ix0 >= w ? 0 : Math.min(ow, w - ix0);
                    if (hi < lo) hi = lo;
                    // Output rows are input rows shifted: one copy of the valid span, then the
                    // padding columns (which the copy filled with wrapped neighbours) cleared.
                    int oy0 = Math.min(oh, Math.max(0, ph - a * dh)), oy1 = Math.min(oh, Math.max(oy0, h + ph - a * dh));
                    if (hi <= lo || oy0 >= oy1) {
                        Arrays.fill(col, base, base + p, 0f);
                        continue;
                    }
                    int q0 = oy0 * ow + lo, q1 = (oy1 - 1) * ow + hi;
                    Arrays.fill(col, base, base + q0, 0f);
                    Arrays.fill(col, base + q1, base + p, 0f);
                    System.arraycopy(x, plane + q0 + (a * dh - ph) * w + ix0, col, base + q0, q1 - q0);
                    if (lo > 0 || hi < ow) clearBorders(col, base, oy0, oy1, lo, hi);
                }
            }
        }
    }

    /** Zeroes columns [0, lo) and [hi, ow) of output rows [oy0, oy1) of one unrolled row. */
    private void clearBorders(float[] col, int base, int oy0, int oy1, int lo, int hi) {
        for (int oy = oy0; oy < oy1; oy++) {
            int d = base + oy * ow;
            for (int ox = 0; ox < lo; ox++) col[d + ox] = 0f;
            for (int ox = hi; ox < ow; ox++) col[d + ox] = 0f;
        }
    }

    /** The adjoint of {@link #im2col}: adds each column entry back to the input pixel it came from. */
    private void col2im(float[] col, int colOff, int ld, float[] gx, int gxs) {
        int row = 0;
        for (int ci = 0; ci < cg; ci++) {
            int plane = gxs + ci * h * w;
            for (int a = 0; a < kh; a++) {
                for (int bb = 0; bb < kw; bb++, row++) {
                    int base = colOff + row * ld;
                    int ix0 = bb * dw - pw;
                    int lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
                    int hi = ix0 >= w ? 0 : Math.min(ow, (w - 1 - ix0) / sw + 1);
                    if (flat) {
                        // The adjoint of the flat im2col: entries that map outside the input (the
                        // padding columns) are cleared in the scratch, then one long axpy.
                        int oy0 = Math.min(oh, Math.max(0, ph - a * dh)), oy1 = Math.min(oh, Math.max(oy0, h + ph - a * dh));
                        if (hi <= lo || oy0 >= oy1) continue;
                        if (lo > 0 || hi < ow) clearBorders(col, base, oy0, oy1, lo, hi);
                        int q0 = oy0 * ow + lo, q1 = (oy1 - 1) * ow + hi;
                        Blas.axpy(q1 - q0, 1f, col, base + q0, gx, plane + q0 + (a * dh - ph) * w + ix0);
                        continue;
                    }
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + a * dh;
                        if (iy < 0 || iy >= h) continue;
                        int src = base + oy * ow;
                        int dst = plane + iy * w + ix0;
                        if (sw == 1) {
                            if (hi > lo) Blas.axpy(hi - lo, 1f, col, src + lo, gx, dst + lo);
                        } else {
                            for (int ox = lo; ox < hi; ox++) gx[dst + ox * sw] += col[src + ox];
                        }
                    }
                }
            }
        }
    }
}
