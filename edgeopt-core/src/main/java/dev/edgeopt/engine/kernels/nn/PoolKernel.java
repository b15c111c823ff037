package dev.edgeopt.engine.kernels.nn;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.DIV;
import static jdk.incubator.vector.VectorOperators.MAX;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ops.PoolGeometry;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * MaxPool (with optional Indices), AveragePool and LpPool over 1 to 3 spatial dims.
 *
 * <p>Geometry is normalized to (D, H, W) and, per axis and output index, the window start and the
 * range of taps that land inside the input are tabulated at creation, so the loops never test
 * bounds per element. Padding never contributes a value: MaxPool ignores it, LpPool adds zeros and
 * AveragePool only changes the divisor (count_include_pad: always the kernel size). Planes (batch times channel) are split
 * across the pool.
 *
 * <p>int8/uint8 MaxPool (opset 12) widens to float in scratch: a max of small integers is exact in
 * float, so one loop serves all three dtypes.
 */
public final class PoolKernel implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    public enum Mode { MAX, AVG, LP }

    private final Mode mode;
    private final int d, h, w, od, oh, ow;
    private final int dd, dh, dw;
    private final int[] startD, k0D, k1D, startH, k0H, k1H, startW, k0W, k1W;
    private final int[] cntD, cntH, cntW;
    private final int planes, inPlane, outPlane;
    private final float p;
    private final boolean indices;
    private final boolean columnMajor;
    private final DType dtype;
    private final Scratch.Ref xWide, yWide;
    private final ThreadPool pool;
    private final int tasks;
    private final IntConsumer body = this::task;
    /** 1-D and 2-D float pools without Indices take {@link #plane2d}. */
    private final boolean flat;
    /** Output columns whose window lies fully inside the input, and whether W has stride 1. */
    private final int cLo, cHi, kw;
    private final boolean unitStrideW;
    private final Scratch.Ref rowBuf;
    private final int rowBuf2Off;

    private float[] xa, ya;
    private int xo, yo;
    private long[] ia;
    private int io;

    private PoolKernel(KernelContext kc, Mode mode) {
        this.mode = mode;
        int[] xs = kc.inShape(0);
        int sr = xs.length - 2;
        if (sr < 1 || sr > 3) throw kc.fail("pools support 1 to 3 spatial dims, got input shape " + java.util.Arrays.toString(xs));
        dtype = kc.inDtype(0);
        boolean narrow = dtype == DType.INT8 || dtype == DType.UINT8;
        if (dtype != DType.FLOAT && !(narrow && mode == Mode.MAX)) throw kc.fail(mode + " pool does not support dtype " + dtype);
        int opset = kc.opset();
        PoolGeometry g = switch (mode) {
            case MAX -> PoolGeometry.of(kc.node(), toLong(xs, 2), opset >= 10, opset >= 10);
            case AVG -> PoolGeometry.of(kc.node(), toLong(xs, 2), opset >= 10, opset >= 19);
            case LP -> PoolGeometry.of(kc.node(), toLong(xs, 2), opset >= 18, opset >= 18);
        };
        boolean includePad = mode == Mode.AVG && kc.attrInt("count_include_pad", 0) != 0;
        p = mode == Mode.LP ? (float) kc.attrInt("p", 2) : 0;
        if (mode == Mode.LP && p <= 0) throw kc.fail("p must be positive, got " + kc.attrInt("p", 2));
        indices = kc.outputCount() > 1;
        long so = kc.attrInt("storage_order", 0);
        if (so != 0 && so != 1) throw kc.fail("storage_order must be 0 or 1, got " + so);
        columnMajor = so == 1;
        if (columnMajor && sr == 3 && indices) throw kc.fail("storage_order=1 is supported for 1-D and 2-D pools only");

        int[] in = {1, 1, 1}, out = {1, 1, 1}, k = {1, 1, 1}, s = {1, 1, 1}, dil = {1, 1, 1}, pb = {0, 0, 0};
        for (int i = 0; i < sr; i++) {
            int a = 3 - sr + i;
            in[a] = xs[i + 2];
            out[a] = Math.toIntExact(g.out[i]);
            k[a] = Math.toIntExact(g.kernel[i]);
            s[a] = Math.toIntExact(g.strides[i]);
            dil[a] = Math.toIntExact(g.dilations[i]);
            pb[a] = Math.toIntExact(g.padBegin[i]);
        }
        d = in[0]; h = in[1]; w = in[2];
        od = out[0]; oh = out[1]; ow = out[2];
        dd = dil[0]; dh = dil[1]; dw = dil[2];
        int[][] td = tables(in[0], out[0], k[0], s[0], dil[0], pb[0], includePad);
        int[][] th = tables(in[1], out[1], k[1], s[1], dil[1], pb[1], includePad);
        int[][] tw = tables(in[2], out[2], k[2], s[2], dil[2], pb[2], includePad);
        startD = td[0]; k0D = td[1]; k1D = td[2]; cntD = td[3];
        startH = th[0]; k0H = th[1]; k1H = th[2]; cntH = th[3];
        startW = tw[0]; k0W = tw[1]; k1W = tw[2]; cntW = tw[3];
        planes = xs[0] * xs[1];
        inPlane = d * h * w;
        outPlane = od * oh * ow;
        if (narrow) {
            xWide = kc.scratch(DType.FLOAT, planes * inPlane);
            yWide = kc.scratch(DType.FLOAT, planes * outPlane);
        } else {
            xWide = yWide = null;
        }
        pool = kc.pool();
        tasks = Math.max(1, Math.min(planes, kc.threads() * 4));
        kw = k[2];
        int lo = 0;
        while (lo < ow && (k0W[lo] != 0 || k1W[lo] != kw)) lo++;
        int hi = lo;
        while (hi < ow && k0W[hi] == 0 && k1W[hi] == kw) hi++;
        cLo = lo;
        cHi = hi;
        unitStrideW = s[2] == 1;
        flat = sr <= 2 && !indices && mode != Mode.LP;
        rowBuf = flat ? kc.scratch(DType.FLOAT, tasks * 2 * w) : null;
        rowBuf2Off = w;
    }

    public static Kernel maxPool(KernelContext kc) { return new PoolKernel(kc, Mode.MAX); }

    public static Kernel averagePool(KernelContext kc) { return new PoolKernel(kc, Mode.AVG); }

    public static Kernel lpPool(KernelContext kc) { return new PoolKernel(kc, Mode.LP); }

    private static long[] toLong(int[] a, int from) {
        long[] r = new long[a.length - from];
        for (int i = 0; i < r.length; i++) r[i] = a[i + from];
        return r;
    }

    /** Per output index: window start, first and end tap inside the input, and the divisor share. */
    private static int[][] tables(int in, int out, int k, int s, int dil, int pb, boolean includePad) {
        int[] start = new int[out], k0 = new int[out], k1 = new int[out], cnt = new int[out];
        for (int o = 0; o < out; o++) {
            int st = o * s - pb;
            int a = st >= 0 ? 0 : Math.ceilDiv(-st, dil);
            int b = in - st <= 0 ? 0 : Math.min(k, Math.ceilDiv(in - st, dil));
            if (b < a) b = a;
            start[o] = st;
            k0[o] = a;
            k1[o] = b;
            // With count_include_pad every tap counts, also those of a ceil_mode window that reach past
            // the end padding: ONNX's reference and ONNX Runtime divide by the full kernel size there.
            cnt[o] = includePad ? k : b - a;
        }
        return new int[][] {start, k0, k1, cnt};
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0], y = out[0];
        if (xWide != null) {
            xa = xWide.floats();
            xo = xWide.offset();
            byte[] b = x.bytes();
            int n = x.size(), bo = x.offset();
            if (dtype == DType.UINT8) for (int i = 0; i < n; i++) xa[xo + i] = b[bo + i] & 0xFF;
            else for (int i = 0; i < n; i++) xa[xo + i] = b[bo + i];
            ya = yWide.floats();
            yo = yWide.offset();
        } else {
            xa = x.floats();
            xo = x.offset();
            ya = y.floats();
            yo = y.offset();
        }
        if (indices) {
            ia = out[1].longs();
            io = out[1].offset();
        }
        pool.parallelFor(tasks, body);
        if (yWide != null) {
            byte[] b = y.bytes();
            int n = y.size(), bo = y.offset();
            for (int i = 0; i < n; i++) b[bo + i] = (byte) (int) ya[yo + i];
        }
        xa = ya = null;
        ia = null;
    }

    private void task(int t) {
        int from = (int) ((long) planes * t / tasks), to = (int) ((long) planes * (t + 1) / tasks);
        for (int pl = from; pl < to; pl++) {
            if (flat) {
                plane2d(pl, t, mode == Mode.MAX);
                continue;
            }
            switch (mode) {
                case MAX -> maxPlane(pl);
                case AVG -> avgPlane(pl);
                case LP -> lpPlane(pl);
            }
        }
    }

    private void maxPlane(int pl) {
        final float[] x = xa, y = ya;
        final int xb = xo + pl * inPlane;
        int yi = yo + pl * outPlane;
        int ii = io + pl * outPlane;
        final long base = (long) pl * inPlane;
        for (int a = 0; a < od; a++) {
            for (int b = 0; b < oh; b++) {
                for (int c = 0; c < ow; c++, yi++, ii++) {
                    float best = -Float.MAX_VALUE;
                    int arg = -1;
                    for (int kd = k0D[a]; kd < k1D[a]; kd++) {
                        int id = startD[a] + kd * dd;
                        for (int kh = k0H[b]; kh < k1H[b]; kh++) {
                            int ih = startH[b] + kh * dh;
                            int row = (id * h + ih) * w;
                            for (int kw = k0W[c]; kw < k1W[c]; kw++) {
                                int iw = startW[c] + kw * dw;
                                float v = x[xb + row + iw];
                                if (v > best || arg < 0) {
                                    best = v;
                                    arg = row + iw;
                                }
                            }
                        }
                    }
                    y[yi] = best;
                    if (indices) {
                        long idx = arg;
                        if (columnMajor && arg >= 0) idx = (long) (arg % w) * h + (arg / w) % h;
                        ia[ii] = arg < 0 ? -1 : base + idx;
                    }
                }
            }
        }
    }

    /**
     * The common case (1-D/2-D, float, no Indices), separably: per output row, the rows of its
     * window are first reduced column by column into a scratch row (vectorized along W), then the
     * columns: with stride 1 each vector of outputs reduces kw shifted vector loads; with a larger
     * stride every window start is reduced at stride 1 into a second scratch row and every
     * stride-th result is picked. Border columns take the bounds tables. Max uses
     * {@link Math#max}, which the JIT makes branch-free (on real data a compare-and-branch
     * mispredicts half the time).
     */
    private void plane2d(int pl, int t, boolean max) {
        final float[] x = xa, y = ya, r = rowBuf.floats();
        final int xb = xo + pl * inPlane, yb = yo + pl * outPlane, ro = rowBuf.offset() + t * 2 * w;
        final int lanes = S.length(), bound = S.loopBound(w);
        // Vectors are stored only as results of an operation called here (a running max or sum is
        // stored plus -0, which changes no value): see Sgemm's class comment on why. The -0 vector
        // is made where it is used: one live across the rowWindow call would be boxed.
        for (int b = 0; b < oh; b++) {
            final int h0 = k0H[b], h1 = k1H[b], rs = startH[b];
            final int yr = yb + b * ow;
            if (h1 <= h0) {
                for (int c = 0; c < ow; c++) y[yr + c] = max ? -Float.MAX_VALUE : 0f;
                continue;
            }
            int first = xb + (rs + h0 * dh) * w;
            System.arraycopy(x, first, r, ro, w);
            for (int kh = h0 + 1; kh < h1; kh++) {
                int row = xb + (rs + kh * dh) * w;
                int j = 0;
                for (; j < bound; j += lanes) {
                    FloatVector a = FloatVector.fromArray(S, r, ro + j), v = FloatVector.fromArray(S, x, row + j);
                    if (max) a.lanewise(MAX, v).intoArray(r, ro + j);
                    else a.lanewise(ADD, v).intoArray(r, ro + j);
                }
                if (j < w) {
                    // A masked tail: with 16 lanes a scalar tail would be a large share of a row.
                    VectorMask<Float> m = S.indexInRange(j, w);
                    FloatVector a = FloatVector.fromArray(S, r, ro + j, m), v = FloatVector.fromArray(S, x, row + j, m);
                    if (max) a.lanewise(MAX, v).intoArray(r, ro + j, m);
                    else a.lanewise(ADD, v).intoArray(r, ro + j, m);
                }
            }
            final float hdiv = cntH[b];
            int c = 0;
            for (; c < cLo; c++) y[yr + c] = rowWindow(r, ro, c, max, hdiv);
            if (unitStrideW && cHi - cLo >= lanes) {
                final float div = hdiv * kw;
                for (; c + lanes <= cHi; c += lanes) {
                    int st = ro + startW[c];
                    FloatVector acc = FloatVector.fromArray(S, r, st);
                    for (int k = 1; k < kw; k++) {
                        FloatVector v = FloatVector.fromArray(S, r, st + k * dw);
                        acc = max ? acc.lanewise(MAX, v) : acc.lanewise(ADD, v);
                    }
                    if (max) acc.lanewise(ADD, FloatVector.broadcast(S, -0f)).intoArray(y, yr + c);
                    else acc.lanewise(DIV, FloatVector.broadcast(S, div)).intoArray(y, yr + c);
                }
                if (c < cHi) {
                    VectorMask<Float> m = S.indexInRange(c, cHi);
                    int st = ro + startW[c];
                    FloatVector acc = FloatVector.fromArray(S, r, st, m);
                    for (int k = 1; k < kw; k++) {
                        FloatVector v = FloatVector.fromArray(S, r, st + k * dw, m);
                        acc = max ? acc.lanewise(MAX, v) : acc.lanewise(ADD, v);
                    }
                    if (max) acc.lanewise(ADD, FloatVector.broadcast(S, -0f)).intoArray(y, yr + c, m);
                    else acc.lanewise(DIV, FloatVector.broadcast(S, div)).intoArray(y, yr + c, m);
                    c = cHi;
                }
            }
            final float div = hdiv * kw;
            if (!unitStrideW && cHi - cLo >= lanes) {
                // Strided columns: reduce every window start at stride 1 with vectors into a
                // second scratch row, then pick every stride-th result (gathers are slower).
                final int r2 = ro + rowBuf2Off, span = w - (kw - 1) * dw;
                int j = 0;
                for (int bnd = span - lanes; j <= bnd; j += lanes) {
                    FloatVector acc = FloatVector.fromArray(S, r, ro + j);
                    for (int k = 1; k < kw; k++) {
                        FloatVector v = FloatVector.fromArray(S, r, ro + j + k * dw);
                        acc = max ? acc.lanewise(MAX, v) : acc.lanewise(ADD, v);
                    }
                    acc.lanewise(ADD, FloatVector.broadcast(S, -0f)).intoArray(r, r2 + j);
                }
                if (j < span) {
                    VectorMask<Float> m = S.indexInRange(j, span);
                    FloatVector acc = FloatVector.fromArray(S, r, ro + j, m);
                    for (int k = 1; k < kw; k++) {
                        FloatVector v = FloatVector.fromArray(S, r, ro + j + k * dw, m);
                        acc = max ? acc.lanewise(MAX, v) : acc.lanewise(ADD, v);
                    }
                    acc.lanewise(ADD, FloatVector.broadcast(S, -0f)).intoArray(r, r2 + j, m);
                }
                if (max) for (; c < cHi; c++) y[yr + c] = r[r2 + startW[c]];
                else for (; c < cHi; c++) y[yr + c] = r[r2 + startW[c]] / div;
            }
            for (; c < cHi; c++) {
                int st = ro + startW[c];
                float acc = r[st];
                for (int k = 1; k < kw; k++) acc = max ? Math.max(acc, r[st + k * dw]) : acc + r[st + k * dw];
                y[yr + c] = max ? acc : acc / div;
            }
            for (; c < ow; c++) y[yr + c] = rowWindow(r, ro, c, max, hdiv);
        }
    }

    private float rowWindow(float[] r, int ro, int c, boolean max, float hdiv) {
        float acc = max ? -Float.MAX_VALUE : 0f;
        for (int k = k0W[c]; k < k1W[c]; k++) {
            float v = r[ro + startW[c] + k * dw];
            acc = max ? Math.max(acc, v) : acc + v;
        }
        return max ? acc : acc / (hdiv * cntW[c]);
    }

    private void avgPlane(int pl) {
        final float[] x = xa, y = ya;
        final int xb = xo + pl * inPlane;
        int yi = yo + pl * outPlane;
        for (int a = 0; a < od; a++) {
            for (int b = 0; b < oh; b++) {
                int cdh = cntD[a] * cntH[b];
                for (int c = 0; c < ow; c++, yi++) {
                    float sum = 0;
                    for (int kd = k0D[a]; kd < k1D[a]; kd++) {
                        int id = startD[a] + kd * dd;
                        for (int kh = k0H[b]; kh < k1H[b]; kh++) {
                            int row = xb + (id * h + startH[b] + kh * dh) * w + startW[c];
                            for (int kw = k0W[c]; kw < k1W[c]; kw++) sum += x[row + kw * dw];
                        }
                    }
                    y[yi] = sum / (cdh * cntW[c]);
                }
            }
        }
    }

    private void lpPlane(int pl) {
        final float[] x = xa, y = ya;
        final int xb = xo + pl * inPlane;
        int yi = yo + pl * outPlane;
        final boolean two = p == 2f;
        for (int a = 0; a < od; a++) {
            for (int b = 0; b < oh; b++) {
                for (int c = 0; c < ow; c++, yi++) {
                    double sum = 0;
                    for (int kd = k0D[a]; kd < k1D[a]; kd++) {
                        int id = startD[a] + kd * dd;
                        for (int kh = k0H[b]; kh < k1H[b]; kh++) {
                            int row = xb + (id * h + startH[b] + kh * dh) * w + startW[c];
                            for (int kw = k0W[c]; kw < k1W[c]; kw++) {
                                float v = x[row + kw * dw];
                                sum += two ? (double) v * v : Math.pow(Math.abs(v), p);
                            }
                        }
                    }
                    y[yi] = (float) (two ? Math.sqrt(sum) : Math.pow(sum, 1.0 / p));
                }
            }
        }
    }
}
