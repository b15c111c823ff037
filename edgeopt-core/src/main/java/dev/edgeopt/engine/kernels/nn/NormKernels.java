package dev.edgeopt.engine.kernels.nn;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * InstanceNormalization, LayerNormalization, MeanVarianceNormalization and LRN. Statistics are
 * accumulated in double with two passes (mean, then squared deviations), so a large mean does not
 * cancel the variance; the outputs are float32.
 */
public final class NormKernels {
    private NormKernels() {}

    private static void requireFloat(KernelContext kc, int... inputs) {
        for (int i : inputs) {
            if (kc.hasInput(i) && kc.inDtype(i) != DType.FLOAT) throw kc.fail("supports float32, input " + i + " is " + kc.inDtype(i));
        }
    }

    /**
     * Rows of {@code inner} contiguous elements normalized independently; {@code scaleMap} and
     * {@code biasMap} give, per position in a row, the element of scale and bias (or the channel
     * for InstanceNormalization, where the row index selects it).
     */
    private static final class RowNorm implements Kernel {
        private final int rows, inner, channels;
        private final double eps;
        private final int[] scaleMap, biasMap; // per position in the row; null: per row (channel)
        private final boolean perChannel, hasBias;
        private final ThreadPool pool;
        private final int tasks;
        private final IntConsumer body = this::task;
        private Tensor x, scale, bias, y, mean, inv;

        RowNorm(KernelContext kc, int rows, int inner, int channels, double eps, int[] scaleMap, int[] biasMap, boolean perChannel) {
            this.rows = rows;
            this.inner = inner;
            this.channels = channels;
            this.eps = eps;
            this.scaleMap = scaleMap;
            this.biasMap = biasMap;
            this.perChannel = perChannel;
            this.hasBias = kc.hasInput(2);
            pool = kc.pool();
            long work = (long) rows * inner;
            tasks = work < 32_768 ? 1 : Math.max(1, Math.min(rows, kc.threads() * 4));
        }

        @Override public void run(Tensor[] in, Tensor[] out) {
            x = in[0];
            scale = in[1];
            bias = in.length > 2 ? in[2] : null;
            y = out[0];
            mean = out.length > 1 ? out[1] : null;
            inv = out.length > 2 ? out[2] : null;
            pool.parallelFor(tasks, body);
            x = scale = bias = y = mean = inv = null;
        }

        private void task(int t) {
            float[] xa = x.floats(), ya = y.floats(), sa = scale.floats();
            float[] ba = hasBias ? bias.floats() : null;
            int so = scale.offset(), bo = hasBias ? bias.offset() : 0;
            int from = (int) ((long) rows * t / tasks), to = (int) ((long) rows * (t + 1) / tasks);
            for (int r = from; r < to; r++) {
                int xb = x.offset() + r * inner, yb = y.offset() + r * inner;
                double s = 0;
                for (int i = 0; i < inner; i++) s += xa[xb + i];
                double m = s / inner;
                double ss = 0;
                for (int i = 0; i < inner; i++) {
                    double d = xa[xb + i] - m;
                    ss += d * d;
                }
                double is = 1.0 / Math.sqrt(ss / inner + eps);
                if (mean != null) mean.floats()[mean.offset() + r] = (float) m;
                if (inv != null) inv.floats()[inv.offset() + r] = (float) is;
                float fm = (float) m, fis = (float) is;
                if (perChannel) {
                    int c = r % channels;
                    float a = sa[so + c] * fis, b = (hasBias ? ba[bo + c] : 0f) - fm * a;
                    for (int i = 0; i < inner; i++) ya[yb + i] = xa[xb + i] * a + b;
                } else {
                    for (int i = 0; i < inner; i++) {
                        float v = (xa[xb + i] - fm) * fis * sa[so + scaleMap[i]];
                        ya[yb + i] = hasBias ? v + ba[bo + biasMap[i]] : v;
                    }
                }
            }
        }
    }

    public static Kernel instanceNorm(KernelContext kc) {
        requireFloat(kc, 0, 1, 2);
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3, got " + Arrays.toString(xs));
        int c = xs[1];
        if (!kc.hasInput(2)) throw kc.fail("input B is required");
        for (int i = 1; i < 3; i++) {
            if (Tensor.numel(kc.inShape(i)) != c) throw kc.fail("input " + i + " must have " + c + " elements, got " + Arrays.toString(kc.inShape(i)));
        }
        int planes = xs[0] * c;
        int inner = Tensor.numel(xs) / Math.max(1, planes);
        return new RowNorm(kc, planes, inner, c, kc.attrFloat("epsilon", 1e-5f), null, null, true);
    }

    public static Kernel layerNorm(KernelContext kc) {
        requireFloat(kc, 0, 1, 2);
        int[] xs = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", -1), xs.length);
        long stash = kc.attrInt("stash_type", 1);
        if (stash != 1) throw kc.fail("stash_type " + stash + " is not supported (only 1, float32)");
        int[] innerShape = Arrays.copyOfRange(xs, axis, xs.length);
        int inner = Tensor.numel(innerShape);
        int rows = Tensor.numel(Arrays.copyOfRange(xs, 0, axis));
        int[] sm = rowMap(kc, 1, innerShape);
        int[] bm = kc.hasInput(2) ? rowMap(kc, 2, innerShape) : null;
        return new RowNorm(kc, rows, inner, 1, kc.attrFloat("epsilon", 1e-5f), sm, bm, false);
    }

    private static int[] rowMap(KernelContext kc, int input, int[] innerShape) {
        int[] ps = kc.inShape(input);
        if (ps.length > innerShape.length) {
            throw kc.fail("input " + input + " shape " + Arrays.toString(ps) + " has more dims than the normalized shape " + Arrays.toString(innerShape));
        }
        try {
            if (!Arrays.equals(Broadcast.shape(ps, innerShape), innerShape)) throw new IllegalArgumentException();
        } catch (IllegalArgumentException e) {
            throw kc.fail("input " + input + " shape " + Arrays.toString(ps) + " does not broadcast to the normalized shape " + Arrays.toString(innerShape));
        }
        return Broadcast.indexMap(ps, innerShape);
    }

    /**
     * GroupNormalization: channels split into num_groups groups, each (batch, group) normalized over
     * its channels and spatial dims. Scale and bias are per group at opset 18 (as that version
     * specified them) and per channel from opset 21.
     */
    public static Kernel groupNorm(KernelContext kc) {
        requireFloat(kc, 0, 1, 2);
        int[] xs = kc.inShape(0);
        if (xs.length < 2) throw kc.fail("input must have rank >= 2, got " + Arrays.toString(xs));
        long g = kc.attrInt("num_groups", -1);
        int n = xs[0], c = xs[1];
        if (g < 1 || c % g != 0) throw kc.fail("num_groups " + g + " must be positive and divide the " + c + " channels");
        if (!kc.hasInput(2)) throw kc.fail("input bias is required");
        long stash = kc.attrInt("stash_type", 1);
        if (stash != 1) throw kc.fail("stash_type " + stash + " is not supported (only 1, float32)");
        int groups = (int) g;
        boolean perChannel = kc.opset() >= 21;
        int params = perChannel ? c : groups;
        for (int i = 1; i < 3; i++) {
            if (Tensor.numel(kc.inShape(i)) != params) {
                throw kc.fail("input " + i + " must have " + params + " elements (" + (perChannel ? "per channel" : "per group at opset < 21")
                        + "), got " + Arrays.toString(kc.inShape(i)));
            }
        }
        int spatial = Tensor.numel(xs) / Math.max(1, n * c);
        int cpg = c / groups, inner = cpg * spatial;
        double eps = kc.attrFloat("epsilon", 1e-5f);
        return (in, out) -> {
            float[] xa = in[0].floats(), ya = out[0].floats(), sa = in[1].floats(), ba = in[2].floats();
            int xo = in[0].offset(), yo = out[0].offset(), so = in[1].offset(), bo = in[2].offset();
            for (int r = 0; r < n * groups; r++) {
                int xb = xo + r * inner, yb = yo + r * inner;
                double sum = 0;
                for (int i = 0; i < inner; i++) sum += xa[xb + i];
                double m = sum / inner, ss = 0;
                for (int i = 0; i < inner; i++) {
                    double d = xa[xb + i] - m;
                    ss += d * d;
                }
                float fm = (float) m, is = (float) (1.0 / Math.sqrt(ss / inner + eps));
                int grp = r % groups;
                for (int k = 0; k < cpg; k++) {
                    int p = perChannel ? grp * cpg + k : grp;
                    float a = sa[so + p] * is, b = ba[bo + p] - fm * a;
                    int off = k * spatial;
                    for (int i = 0; i < spatial; i++) ya[yb + off + i] = xa[xb + off + i] * a + b;
                }
            }
        };
    }

    /** (x - mean) / (sqrt(var) + 1e-9) over {@code axes}, as ONNX's function body defines it. */
    public static Kernel meanVarianceNorm(KernelContext kc) {
        requireFloat(kc, 0);
        int[] xs = kc.inShape(0);
        long[] axes = kc.attrInts("axes", new long[] {0, 2, 3});
        boolean[] reduced = new boolean[xs.length];
        for (long a : axes) reduced[kc.axis(a, xs.length)] = true;
        int n = Tensor.numel(xs);
        // group[i]: index of element i's statistics (over the kept axes).
        int[] keptShape = new int[xs.length];
        for (int i = 0; i < xs.length; i++) keptShape[i] = reduced[i] ? 1 : xs[i];
        int groups = Tensor.numel(keptShape);
        int[] group = Broadcast.indexMap(keptShape, xs);
        int perGroup = groups == 0 ? 0 : n / groups;
        Scratch.Ref stats = kc.scratch(DType.DOUBLE, 2 * Math.max(1, groups));
        return (in, out) -> {
            float[] xa = in[0].floats(), ya = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            double[] st = (double[]) stats.array();
            int so = stats.offset();
            Arrays.fill(st, so, so + 2 * groups, 0.0);
            for (int i = 0; i < n; i++) st[so + group[i]] += xa[xo + i];
            for (int g = 0; g < groups; g++) st[so + g] /= perGroup;
            for (int i = 0; i < n; i++) {
                double d = xa[xo + i] - st[so + group[i]];
                st[so + groups + group[i]] += d * d;
            }
            for (int g = 0; g < groups; g++) st[so + groups + g] = Math.sqrt(st[so + groups + g] / perGroup) + 1e-9;
            for (int i = 0; i < n; i++) {
                int g = group[i];
                ya[yo + i] = (float) ((xa[xo + i] - st[so + g]) / st[so + groups + g]);
            }
        };
    }

    /** Local response normalization across channels. */
    public static Kernel lrn(KernelContext kc) {
        requireFloat(kc, 0);
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3, got " + Arrays.toString(xs));
        long size = kc.attrInt("size", -1);
        if (size < 1) throw kc.fail("attribute size is required and must be positive");
        double alpha = kc.attrFloat("alpha", 1e-4f), beta = kc.attrFloat("beta", 0.75f), bias = kc.attrFloat("bias", 1f);
        int n = xs[0], c = xs[1], plane = Tensor.numel(xs) / Math.max(1, n * c);
        int lo = (int) ((size - 1) / 2), hi = (int) ((size - 1) - lo);
        double k = alpha / size;
        return (in, out) -> {
            float[] xa = in[0].floats(), ya = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    int c0 = Math.max(0, ch - lo), c1 = Math.min(c - 1, ch + hi);
                    for (int i = 0; i < plane; i++) {
                        double s = 0;
                        for (int cc = c0; cc <= c1; cc++) {
                            float v = xa[xo + (b * c + cc) * plane + i];
                            s += (double) v * v;
                        }
                        int idx = (b * c + ch) * plane + i;
                        ya[yo + idx] = (float) (xa[xo + idx] / Math.pow(bias + k * s, beta));
                    }
                }
            }
        };
    }

    /**
     * MaxUnpool: zeros, then each input value at the position its index names. Indices address
     * the default output ({@code (in - 1) * stride - pads + kernel}, what MaxPool saw); when the
     * output_shape input asks for a larger output, positions keep their coordinates in it.
     */
    public static Kernel maxUnpool(KernelContext kc) {
        requireFloat(kc, 0);
        if (kc.inDtype(1) != DType.INT64) throw kc.fail("indices must be int64, got " + kc.inDtype(1));
        int[] xs = kc.inShape(0), ys = kc.outShape(0);
        if (!Arrays.equals(xs, kc.inShape(1))) {
            throw kc.fail("X " + Arrays.toString(xs) + " and I " + Arrays.toString(kc.inShape(1)) + " must have the same shape");
        }
        int r = xs.length - 2;
        long[] k = kc.attrInts("kernel_shape", null), st = kc.attrInts("strides", null), p = kc.attrInts("pads", null);
        if (k == null || k.length != r) throw kc.fail("attribute kernel_shape with " + r + " values is required");
        int[] def = new int[r], outSp = new int[r];
        for (int i = 0; i < r; i++) {
            def[i] = Math.toIntExact((xs[i + 2] - 1) * (st == null ? 1 : st[i]) - (p == null ? 0 : p[i] + p[i + r]) + k[i]);
            outSp[i] = ys[i + 2];
            if (outSp[i] < def[i]) throw kc.fail("output_shape " + Arrays.toString(ys) + " is smaller than the unpooled shape");
        }
        if (ys[0] != xs[0] || ys[1] != xs[1]) throw kc.fail("output_shape " + Arrays.toString(ys) + " must keep N and C of X");
        int defPlane = Tensor.numel(def), outPlane = Tensor.numel(outSp);
        boolean same = Arrays.equals(def, outSp);
        String node = kc.node().describe();
        return (in, out) -> {
            float[] xa = in[0].floats(), ya = out[0].floats();
            long[] ia = in[1].longs();
            int xo = in[0].offset(), io = in[1].offset(), yo = out[0].offset(), n = in[0].size(), m = out[0].size();
            long limit = (long) xs[0] * xs[1] * defPlane;
            Arrays.fill(ya, yo, yo + m, 0f);
            for (int i = 0; i < n; i++) {
                long j = ia[io + i];
                if (j < 0 || j >= limit) throw new dev.edgeopt.EdgeoptException("node " + node + ": index " + j + " is outside the unpooled tensor of " + limit + " elements");
                int target;
                if (same) {
                    target = (int) j;
                } else {
                    int plane = (int) (j / defPlane), rem = (int) (j % defPlane), pos = 0, stride = 1;
                    for (int a = r - 1; a >= 0; a--) {
                        pos += (rem % def[a]) * stride;
                        rem /= def[a];
                        stride *= outSp[a];
                    }
                    target = plane * outPlane + pos;
                }
                ya[yo + target] = xa[xo + i];
            }
        };
    }

    /**
     * MaxRoiPool (Fast R-CNN): each region [batch, x1, y1, x2, y2], scaled by spatial_scale and
     * rounded half away from zero, is split into pooled_shape bins whose max is taken; an empty bin
     * gives 0. Bin edges follow ONNX Runtime (floor of the start, ceil of the end).
     */
    public static Kernel maxRoiPool(KernelContext kc) {
        requireFloat(kc, 0, 1);
        int[] xs = kc.inShape(0), rs = kc.inShape(1);
        if (xs.length != 4) throw kc.fail("X must be 4-D [N, C, H, W], got " + Arrays.toString(xs));
        if (rs.length != 2 || rs[1] != 5) throw kc.fail("rois must be [num_rois, 5], got " + Arrays.toString(rs));
        long[] ps = kc.attrInts("pooled_shape", null);
        if (ps == null || ps.length != 2 || ps[0] < 1 || ps[1] < 1) throw kc.fail("attribute pooled_shape [h, w] is required");
        int ph = (int) ps[0], pw = (int) ps[1], n = xs[0], c = xs[1], h = xs[2], w = xs[3], rois = rs[0];
        float scale = kc.attrFloat("spatial_scale", 1f);
        String node = kc.node().describe();
        return (in, out) -> {
            float[] xa = in[0].floats(), ra = in[1].floats(), ya = out[0].floats();
            int xo = in[0].offset(), ro = in[1].offset(), yo = out[0].offset();
            for (int r = 0; r < rois; r++) {
                int b = (int) ra[ro + r * 5];
                if (b < 0 || b >= n) throw new dev.edgeopt.EdgeoptException("node " + node + ": roi " + r + " names batch " + b + " of " + n);
                int x1 = roundAway(ra[ro + r * 5 + 1] * scale), y1 = roundAway(ra[ro + r * 5 + 2] * scale);
                int x2 = roundAway(ra[ro + r * 5 + 3] * scale), y2 = roundAway(ra[ro + r * 5 + 4] * scale);
                float bh = (float) Math.max(y2 - y1 + 1, 1) / ph, bw = (float) Math.max(x2 - x1 + 1, 1) / pw;
                for (int ch = 0; ch < c; ch++) {
                    int plane = xo + (b * c + ch) * h * w;
                    int yb = yo + (r * c + ch) * ph * pw;
                    for (int i = 0; i < ph; i++) {
                        int hs = Math.min(Math.max((int) Math.floor(i * bh) + y1, 0), h);
                        int he = Math.min(Math.max((int) Math.ceil((i + 1) * bh) + y1, 0), h);
                        for (int j = 0; j < pw; j++) {
                            int ws = Math.min(Math.max((int) Math.floor(j * bw) + x1, 0), w);
                            int we = Math.min(Math.max((int) Math.ceil((j + 1) * bw) + x1, 0), w);
                            float m = -Float.MAX_VALUE;
                            boolean empty = he <= hs || we <= ws;
                            for (int yy = hs; yy < he; yy++) {
                                for (int xx = ws; xx < we; xx++) m = Math.max(m, xa[plane + yy * w + xx]);
                            }
                            ya[yb + i * pw + j] = empty ? 0f : m;
                        }
                    }
                }
            }
        };
    }

    private static int roundAway(float v) { return (int) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5f)); }
}
