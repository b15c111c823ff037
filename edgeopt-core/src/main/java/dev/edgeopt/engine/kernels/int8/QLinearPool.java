package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ops.PoolGeometry;
import dev.edgeopt.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * QLinearGlobalAveragePool, QLinearAveragePool and edgeopt's QLinearGlobalMaxPool (X, x_scale, x_zp,
 * y_scale, y_zp; NCHW). An average's window
 * sums {@code x - z_x} exactly in int32 over its {@code n} valid elements and is requantized by
 * {@code s_x / (s_y * count)} ({@link Requantize}), where {@code count} is {@code n}, or the window
 * size clipped to the padded input when {@code count_include_pad} is set (padding holds real 0,
 * whose {@code x - z_x} is 0).
 */
final class QLinearPool {
    private QLinearPool() {}

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

    /**
     * The (multiplier, shift) pair for each window count 1..max, so eval does no division.
     */
    private static int[][] multipliers(QParams.Scalar px, QParams.Scalar py, int max) {
        int[][] m = new int[2][max + 1];
        for (int c = 1; c <= max; c++) {
            Requantize.Multiplier q = Requantize.quantizeMultiplier((double) px.scale() / ((double) py.scale() * c));
            m[0][c] = q.multiplier();
            m[1][c] = q.shift();
        }
        return m;
    }

    static Kernel global(KernelContext kc) {
        if (kc.attrInt("channels_last", 0) != 0) throw kc.fail("channels_last is not supported");
        QParams.Scalar px = QParams.scalar(kc, 1, 2, kc.inDtype(0)), py = QParams.scalar(kc, 3, 4, kc.outDtype(0));
        if (px.unsigned() != py.unsigned()) throw kc.fail("input and output must both be int8 or both uint8");
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3");
        int planes = xs[0] * xs[1], hw = Tensor.numel(xs) / Math.max(1, planes);
        if (hw == 0) throw kc.fail("empty spatial dims");
        Requantize.Multiplier m = Requantize.quantizeMultiplier((double) px.scale() / ((double) py.scale() * hw));
        int mult = m.multiplier(), shift = m.shift(), zx = px.zeroPoint(), zy = py.zeroPoint(), lo = py.qmin(), hi = py.qmax();
        boolean u = px.unsigned();
        return (in, out) -> {
            byte[] x = in[0].bytes(), y = out[0].bytes();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int p = 0; p < planes; p++) {
                int acc = sum(x, xo + p * hw, hw, u) - hw * zx;
                y[yo + p] = (byte) Requantize.requantize(acc, mult, shift, zy, lo, hi);
            }
        };
    }

    /**
     * edgeopt's QLinearGlobalMaxPool: GlobalMaxPool on the 8-bit values themselves. Quantization is
     * monotone, so with equal input and output parameters the max of the quantized plane is the
     * quantized max (what DequantizeLinear -> GlobalMaxPool -> QuantizeLinear computes); other
     * parameters are refused rather than rounded differently from ONNX Runtime.
     */
    static Kernel globalMax(KernelContext kc) {
        QParams.Scalar px = QParams.scalar(kc, 1, 2, kc.inDtype(0)), py = QParams.scalar(kc, 3, 4, kc.outDtype(0));
        if (!px.equals(py)) throw kc.fail("input and output must have the same type, scale and zero point, got " + px + " and " + py);
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3");
        int planes = xs[0] * xs[1], hw = Tensor.numel(xs) / Math.max(1, planes);
        if (hw == 0) throw kc.fail("empty spatial dims");
        // Unsigned bytes compare as signed ones after flipping the top bit.
        int flip = px.unsigned() ? 0x80 : 0;
        return (in, out) -> {
            byte[] x = in[0].bytes(), y = out[0].bytes();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int p = 0; p < planes; p++) {
                int b = xo + p * hw, m = Byte.MIN_VALUE;
                for (int i = 0; i < hw; i++) m = Math.max(m, (byte) (x[b + i] ^ flip));
                y[yo + p] = (byte) (m ^ flip);
            }
        };
    }

    /** Exact int32 sum of {@code n} 8-bit values, 8 lanes at a time. */
    static int sum(byte[] x, int off, int n, boolean unsigned) {
        int i = 0, s = 0;
        if (n >= B.length()) {
            IntVector acc = IntVector.zero(I);
            for (; i + B.length() <= n; i += B.length()) {
                IntVector v = (IntVector) ByteVector.fromArray(B, x, off + i).convertShape(VectorOperators.B2I, I, 0);
                acc = acc.add(unsigned ? v.and(0xFF) : v);
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += unsigned ? x[off + i] & 0xFF : x[off + i];
        return s;
    }

    static Kernel average(KernelContext kc) {
        if (kc.attrInt("channels_last", 0) != 0) throw kc.fail("channels_last is not supported");
        QParams.Scalar px = QParams.scalar(kc, 1, 2, kc.inDtype(0)), py = QParams.scalar(kc, 3, 4, kc.outDtype(0));
        if (px.unsigned() != py.unsigned()) throw kc.fail("input and output must both be int8 or both uint8");
        int[] xs = kc.inShape(0), ys = kc.outShape(0);
        if (xs.length != 4) throw kc.fail("only 2-D pooling (NCHW input) is supported, got rank " + xs.length);
        PoolGeometry g = PoolGeometry.of(kc.node(), new long[] {xs[2], xs[3]}, true, false);
        boolean includePad = kc.attrInt("count_include_pad", 0) != 0;
        int h = xs[2], w = xs[3], oh = ys[2], ow = ys[3], planes = xs[0] * xs[1];
        int kh = (int) g.kernel[0], kw = (int) g.kernel[1], sh = (int) g.strides[0], sw = (int) g.strides[1];
        int ph = (int) g.padBegin[0], pw = (int) g.padBegin[1], peh = (int) g.padEnd[0], pew = (int) g.padEnd[1];
        // Per output row/column: the clipped window [start, end) and its size counting padding.
        int[] h0 = new int[oh], h1 = new int[oh], hp = new int[oh], w0 = new int[ow], w1 = new int[ow], wp = new int[ow];
        window(oh, sh, ph, kh, h, peh, h0, h1, hp);
        window(ow, sw, pw, kw, w, pew, w0, w1, wp);
        int[][] m = multipliers(px, py, kh * kw);
        int zx = px.zeroPoint(), zy = py.zeroPoint(), lo = py.qmin(), hi = py.qmax();
        boolean u = px.unsigned();
        return (in, out) -> {
            byte[] x = in[0].bytes(), y = out[0].bytes();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int p = 0; p < planes; p++) {
                int xp = xo + p * h * w;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int acc = 0, n = 0;
                        for (int r = h0[i]; r < h1[i]; r++) {
                            for (int c = w0[j]; c < w1[j]; c++) acc += QuantMath.at8(x, xp + r * w + c, u);
                            n += w1[j] - w0[j];
                        }
                        int count = includePad ? hp[i] * wp[j] : n;
                        int q;
                        if (count == 0) {
                            q = zy;
                        } else {
                            q = Requantize.requantize(acc - n * zx, m[0][count], m[1][count], zy, lo, hi);
                        }
                        y[yo++] = (byte) q;
                    }
                }
            }
        };
    }

    private static void window(int out, int stride, int padBegin, int k, int in, int padEnd, int[] s0, int[] s1, int[] padded) {
        for (int o = 0; o < out; o++) {
            int start = o * stride - padBegin, end = Math.min(start + k, in + padEnd);
            padded[o] = end - start;
            s0[o] = Math.max(start, 0);
            s1[o] = Math.max(s0[o], Math.min(end, in));
        }
    }
}
