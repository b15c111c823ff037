package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Conv (2-D, NCHW) forward and gradient: grouped, depthwise, strided, padded and dilated. Each
 * sample and group is an im2col followed by one GEMM; 1x1 stride-1 unpadded convolutions skip the
 * im2col. Work is split over samples; weight gradients go into per-task partial sums that are
 * added in task order, so a thread count always gives the same bits.
 */
final class ConvGrad extends TrainOp {
    static void register(GradRules r) { r.register("Conv", ConvGrad::new); }

    private final ThreadPool pool;
    private final int n, c, h, w, m, groups, cg, mg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, k, p;
    private final boolean direct, hasBias;
    private final float[][] cols, colsT, dcols, dW, dB;

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
        cols = new float[tasks][direct ? 0 : k * p];
        colsT = new float[tasks][k * p];
        dcols = new float[tasks][direct ? 0 : k * p];
        dW = new float[tasks][m * k];
        dB = new float[tasks][m];
        ctx.setOutput(0, new int[] {n, m, oh, ow});
    }

    @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
        float[] x = in[0].floats(), wt = in[1].floats(), y = out[0].floats();
        int xo = in[0].offset(), wo = in[1].offset(), yo = out[0].offset();
        float[] b = hasBias ? in[2].floats() : null;
        int bo = hasBias ? in[2].offset() : 0;
        Parallel.range(pool, n, (t, s, e) -> {
            float[] col = cols[t];
            for (int i = s; i < e; i++) {
                for (int g = 0; g < groups; g++) {
                    int xs = xo + (i * c + g * cg) * h * w;
                    int ys = yo + (i * m + g * mg) * p;
                    if (direct) {
                        Blas.gemm(mg, p, k, wt, wo + g * mg * k, k, 1, x, xs, p, y, ys, p, false);
                    } else {
                        im2col(x, xs, col);
                        Blas.gemm(mg, p, k, wt, wo + g * mg * k, k, 1, col, 0, p, y, ys, p, false);
                    }
                }
                if (b != null) {
                    for (int o = 0; o < m; o++) {
                        float bv = b[bo + o];
                        int ys = yo + (i * m + o) * p;
                        for (int q = 0; q < p; q++) y[ys + q] += bv;
                    }
                }
            }
        });
    }

    @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
        float[] x = in[0].floats(), wt = in[1].floats(), gy = gOut[0].floats();
        int xo = in[0].offset(), wo = in[1].offset(), gyo = gOut[0].offset();
        Tensor gX = gIn[0], gW = gIn[1], gB = hasBias ? gIn[2] : null;
        int tasks = Parallel.tasks(pool, n);
        Parallel.range(pool, n, (t, s, e) -> {
            float[] col = cols[t], colT = colsT[t], dcol = dcols[t], dw = dW[t], db = dB[t];
            if (gW != null) Arrays.fill(dw, 0f);
            if (gB != null) Arrays.fill(db, 0f);
            for (int i = s; i < e; i++) {
                for (int g = 0; g < groups; g++) {
                    int xs = xo + (i * c + g * cg) * h * w;
                    int gys = gyo + (i * m + g * mg) * p;
                    if (gW != null) {
                        float[] src = x;
                        int so = xs;
                        if (!direct) {
                            im2col(x, xs, col);
                            src = col;
                            so = 0;
                        }
                        if (k < 2 * Blas.L) {
                            // Few columns (first layers): long dot products beat a GEMM with a scalar tail.
                            for (int o = 0; o < mg; o++) {
                                for (int q = 0; q < k; q++) dw[(g * mg + o) * k + q] += Blas.dot(p, gy, gys + o * p, src, so + q * p);
                            }
                        } else {
                            Blas.transpose(src, so, p, k, p, colT, 0);
                            Blas.gemm(mg, k, p, gy, gys, p, 1, colT, 0, k, dw, g * mg * k, k, true);
                        }
                    }
                    if (gX != null) {
                        float[] gx = gX.floats();
                        int gxs = gX.offset() + (i * c + g * cg) * h * w;
                        if (direct) {
                            Blas.gemm(k, p, mg, wt, wo + g * mg * k, 1, k, gy, gys, p, gx, gxs, p, true);
                        } else {
                            Blas.gemm(k, p, mg, wt, wo + g * mg * k, 1, k, gy, gys, p, dcol, 0, p, false);
                            col2im(dcol, gx, gxs);
                        }
                    }
                }
                if (gB != null) {
                    for (int o = 0; o < m; o++) db[o] += Blas.sum(gy, gyo + (i * m + o) * p, p);
                }
            }
        });
        for (int t = 0; t < tasks; t++) {
            if (gW != null) Blas.axpy(m * k, 1f, dW[t], 0, gW.floats(), gW.offset());
            if (gB != null) Blas.axpy(m, 1f, dB[t], 0, gB.floats(), gB.offset());
        }
    }

    /** cols[(ci*kh + a)*kw + b][oy*ow + ox] = x[ci][oy*sh - ph + a*dh][ox*sw - pw + b*dw], zero outside. */
    private void im2col(float[] x, int xs, float[] col) {
        int row = 0;
        for (int ci = 0; ci < cg; ci++) {
            int plane = xs + ci * h * w;
            for (int a = 0; a < kh; a++) {
                for (int bb = 0; bb < kw; bb++, row++) {
                    int base = row * p;
                    int ix0 = bb * dw - pw;
                    // ox range with 0 <= ox*sw + ix0 < w
                    int lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
                    int hi = ix0 >= w ? 0 : Math.min(ow, (w - 1 - ix0) / sw + 1);
                    if (hi < lo) hi = lo;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + a * dh;
                        int d = base + oy * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(col, d, d + ow, 0f);
                            continue;
                        }
                        int src = plane + iy * w + ix0;
                        for (int ox = 0; ox < lo; ox++) col[d + ox] = 0f;
                        if (sw == 1) System.arraycopy(x, src + lo, col, d + lo, hi - lo);
                        else for (int ox = lo; ox < hi; ox++) col[d + ox] = x[src + ox * sw];
                        for (int ox = hi; ox < ow; ox++) col[d + ox] = 0f;
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds each column entry back to the input pixel it came from. */
    private void col2im(float[] col, float[] gx, int gxs) {
        int row = 0;
        for (int ci = 0; ci < cg; ci++) {
            int plane = gxs + ci * h * w;
            for (int a = 0; a < kh; a++) {
                for (int bb = 0; bb < kw; bb++, row++) {
                    int base = row * p;
                    int ix0 = bb * dw - pw;
                    int lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
                    int hi = ix0 >= w ? 0 : Math.min(ow, (w - 1 - ix0) / sw + 1);
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
