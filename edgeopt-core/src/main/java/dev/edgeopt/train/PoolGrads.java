package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * MaxPool, AveragePool and GlobalAveragePool over NCHW. MaxPool remembers the winning input index
 * of every output (the first maximum, as ONNX Runtime and PyTorch pick) so its gradient is a scatter.
 */
final class PoolGrads {
    private PoolGrads() {}

    static void register(GradRules r) {
        r.register("MaxPool", ctx -> new Pool(ctx, true));
        r.register("AveragePool", ctx -> new Pool(ctx, false));
        r.register("GlobalAveragePool", GlobalAverage::new);
    }

    static final class Pool extends TrainOp {
        private final boolean max, countPad;
        private final int planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
        private final int[] argmax;
        private final ThreadPool pool;

        Pool(TrainContext ctx, boolean max) {
            ctx.requireFloat(0);
            this.max = max;
            int[] xs = ctx.inShape(0);
            if (xs.length != 4) throw ctx.fail("training supports 2-D pooling over NCHW, got " + Arrays.toString(xs));
            if (ctx.node().outputCount() > 1) throw ctx.fail("training does not produce MaxPool indices");
            long[] ks = ctx.attrInts("kernel_shape", null);
            if (ks == null || ks.length != 2) throw ctx.fail("kernel_shape must give 2 dims");
            long[] st = ctx.attrInts("strides", new long[] {1, 1}), dl = ctx.attrInts("dilations", new long[] {1, 1});
            long[] pads = ctx.attrInts("pads", new long[] {0, 0, 0, 0});
            String autoPad = ctx.attrString("auto_pad", "NOTSET");
            if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) throw ctx.fail("training supports auto_pad NOTSET or VALID, got " + autoPad);
            if (autoPad.equals("VALID")) pads = new long[4];
            boolean ceil = ctx.attrInt("ceil_mode", 0) != 0;
            countPad = ctx.attrInt("count_include_pad", 0) != 0;
            planes = xs[0] * xs[1];
            h = xs[2]; w = xs[3];
            kh = (int) ks[0]; kw = (int) ks[1];
            sh = (int) st[0]; sw = (int) st[1];
            dh = (int) dl[0]; dw = (int) dl[1];
            ph = (int) pads[0]; pw = (int) pads[1];
            int ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
            int spanH = h + ph + (int) pads[2] - ekh, spanW = w + pw + (int) pads[3] - ekw;
            if (spanH < 0 || spanW < 0) throw ctx.fail("kernel does not fit input " + h + "x" + w);
            int o1 = (ceil ? (spanH + sh - 1) / sh : spanH / sh) + 1, o2 = (ceil ? (spanW + sw - 1) / sw : spanW / sw) + 1;
            // With ceil_mode the last window must start inside the input or left padding.
            if (ceil && (o1 - 1) * sh >= h + ph) o1--;
            if (ceil && (o2 - 1) * sw >= w + pw) o2--;
            oh = o1;
            ow = o2;
            argmax = max ? new int[planes * oh * ow] : null;
            pool = ctx.pool();
            ctx.setOutput(0, new int[] {xs[0], xs[1], oh, ow});
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            Parallel.range(pool, planes, (t, s, e) -> {
                for (int pl = s; pl < e; pl++) {
                    int xb = pl * h * w;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int o = (pl * oh + oy) * ow + ox;
                            float best = Float.NEGATIVE_INFINITY, sum = 0;
                            int bi = -1, cnt = 0;
                            for (int a = 0; a < kh; a++) {
                                int iy = oy * sh - ph + a * dh;
                                for (int b = 0; b < kw; b++) {
                                    int ix = ox * sw - pw + b * dw;
                                    boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                    if (!inside) continue;
                                    float v = x[xo + xb + iy * w + ix];
                                    if (max) {
                                        if (v > best || bi < 0) { best = v; bi = xb + iy * w + ix; }
                                    } else {
                                        sum += v;
                                        cnt++;
                                    }
                                }
                            }
                            if (max) {
                                y[yo + o] = best;
                                argmax[o] = bi;
                            } else {
                                // count_include_pad divides by the kernel size even where a ceil_mode
                                // window reaches past the padding, as ONNX Runtime does.
                                int div = countPad ? kh * kw : cnt;
                                y[yo + o] = div == 0 ? 0f : sum / div;
                            }
                        }
                    }
                }
            });
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] == null) return;
            float[] gy = gOut[0].floats(), gx = gIn[0].floats();
            int go = gOut[0].offset(), gxo = gIn[0].offset();
            Parallel.range(pool, planes, (t, s, e) -> {
                for (int pl = s; pl < e; pl++) {
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int o = (pl * oh + oy) * ow + ox;
                            float g = gy[go + o];
                            if (max) {
                                if (argmax[o] >= 0) gx[gxo + argmax[o]] += g;
                                continue;
                            }
                            int cnt = 0;
                            for (int a = 0; a < kh; a++) {
                                int iy = oy * sh - ph + a * dh;
                                for (int b = 0; b < kw; b++) {
                                    int ix = ox * sw - pw + b * dw;
                                    if (countPad || (iy >= 0 && iy < h && ix >= 0 && ix < w)) cnt++;
                                }
                            }
                            if (cnt == 0) continue;
                            float share = g / cnt;
                            int xb = gxo + pl * h * w;
                            for (int a = 0; a < kh; a++) {
                                int iy = oy * sh - ph + a * dh;
                                if (iy < 0 || iy >= h) continue;
                                for (int b = 0; b < kw; b++) {
                                    int ix = ox * sw - pw + b * dw;
                                    if (ix >= 0 && ix < w) gx[xb + iy * w + ix] += share;
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    static final class GlobalAverage extends TrainOp {
        private final int planes, hw;

        GlobalAverage(TrainContext ctx) {
            ctx.requireFloat(0);
            int[] xs = ctx.inShape(0);
            if (xs.length < 3) throw ctx.fail("input must be N x C x spatial..., got " + Arrays.toString(xs));
            planes = xs[0] * xs[1];
            hw = Tensor.numel(xs) / Math.max(1, planes);
            int[] os = new int[xs.length];
            Arrays.fill(os, 1);
            os[0] = xs[0];
            os[1] = xs[1];
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int p = 0; p < planes; p++) y[yo + p] = Blas.sum(x, xo + p * hw, hw) / hw;
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] == null) return;
            float[] gy = gOut[0].floats(), gx = gIn[0].floats();
            int go = gOut[0].offset(), gxo = gIn[0].offset();
            for (int p = 0; p < planes; p++) {
                float g = gy[go + p] / hw;
                int b = gxo + p * hw;
                for (int j = 0; j < hw; j++) gx[b + j] += g;
            }
        }
    }
}
