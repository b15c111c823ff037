package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.conv.ConvShape;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;

/**
 * MatMulInteger and ConvInteger: (u)int8 operands minus their zero points, accumulated exactly in
 * int32. Plain loops (reference kernels): these ops are rare in exported models, and the quantized
 * engine path has its own kernels.
 */
public final class IntegerLinalg {
    private IntegerLinalg() {}

    private static void require8(KernelContext kc, int i) {
        if (kc.hasInput(i) && kc.inDtype(i) != DType.INT8 && kc.inDtype(i) != DType.UINT8) {
            throw kc.fail(kc.node().opType() + " input " + i + " must be int8 or uint8, got " + kc.inDtype(i));
        }
    }

    static Kernel matMulInteger(KernelContext kc) {
        for (int i = 0; i < 4; i++) require8(kc, i);
        int[] as = kc.inShape(0), bs = kc.inShape(1);
        int[] a2 = as.length == 1 ? new int[] {1, as[0]} : as;
        int[] b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        int m = a2[a2.length - 2], k = a2[a2.length - 1], n = b2[b2.length - 1];
        if (b2[b2.length - 2] != k) throw kc.fail("inner dimensions differ");
        int[] aBatch = java.util.Arrays.copyOf(a2, a2.length - 2), bBatch = java.util.Arrays.copyOf(b2, b2.length - 2);
        int[] batch = Broadcast.shape(aBatch, bBatch);
        int nb = Tensor.numel(batch);
        int[] aMap = Broadcast.indexMap(aBatch, batch), bMap = Broadcast.indexMap(bBatch, batch);
        boolean ua = kc.inDtype(0) == DType.UINT8, ub = kc.inDtype(1) == DType.UINT8;
        // a_zero_point: scalar or one per row of A; b_zero_point: scalar or one per column of B.
        int azN = kc.hasInput(2) ? Tensor.numel(kc.inShape(2)) : 0, bzN = kc.hasInput(3) ? Tensor.numel(kc.inShape(3)) : 0;
        if (azN > 1 && azN != m) throw kc.fail("a_zero_point must be a scalar or have " + m + " entries");
        if (bzN > 1 && bzN != n) throw kc.fail("b_zero_point must be a scalar or have " + n + " entries");
        return (in, out) -> {
            byte[] a = (byte[]) in[0].data(), b = (byte[]) in[1].data();
            int[] y = out[0].ints();
            int yo = out[0].offset();
            for (int bi = 0; bi < nb; bi++) {
                int ao = in[0].offset() + aMap[bi] * m * k, bo = in[1].offset() + bMap[bi] * k * n;
                for (int i = 0; i < m; i++) {
                    int za = azN == 0 ? 0 : (int) in[2].getLong(azN == 1 ? 0 : i);
                    for (int j = 0; j < n; j++) {
                        int zb = bzN == 0 ? 0 : (int) in[3].getLong(bzN == 1 ? 0 : j);
                        int acc = 0;
                        for (int kk = 0; kk < k; kk++) {
                            acc += (QuantMath.at8(a, ao + i * k + kk, ua) - za) * (QuantMath.at8(b, bo + kk * n + j, ub) - zb);
                        }
                        y[yo + (bi * m + i) * n + j] = acc;
                    }
                }
            }
        };
    }

    static Kernel convInteger(KernelContext kc) {
        for (int i = 0; i < 4; i++) require8(kc, i);
        ConvShape s = ConvShape.conv(kc);
        boolean ux = kc.inDtype(0) == DType.UINT8, uw = kc.inDtype(1) == DType.UINT8;
        int xzN = kc.hasInput(2) ? Tensor.numel(kc.inShape(2)) : 0, wzN = kc.hasInput(3) ? Tensor.numel(kc.inShape(3)) : 0;
        if (xzN > 1) throw kc.fail("x_zero_point must be a scalar");
        if (wzN > 1 && wzN != s.m) throw kc.fail("w_zero_point must be a scalar or have " + s.m + " entries");
        return (in, out) -> {
            byte[] x = (byte[]) in[0].data(), w = (byte[]) in[1].data();
            int[] y = out[0].ints();
            int xo = in[0].offset(), wo = in[1].offset(), yo = out[0].offset();
            int zx = xzN == 0 ? 0 : (int) in[2].getLong(0);
            for (int n = 0; n < s.n; n++) {
                for (int co = 0; co < s.m; co++) {
                    int zw = wzN == 0 ? 0 : (int) in[3].getLong(wzN == 1 ? 0 : co);
                    for (int od = 0; od < s.od; od++) {
                        for (int oh = 0; oh < s.oh; oh++) {
                            for (int ow = 0; ow < s.ow; ow++) {
                                int acc = convAccumulate(s, x, xo, ux, zx, w, wo, uw, zw, n, co, od, oh, ow);
                                y[yo + ((n * s.m + co) * s.od + od) * s.oh * s.ow + oh * s.ow + ow] = acc;
                            }
                        }
                    }
                }
            }
        };
    }

    /**
     * One output element of an integer convolution: the exact int32 sum of
     * {@code (x - zx) * (w[co] - zw)} over output channel {@code co}'s window at (od, oh, ow) of image n.
     * Padding holds the zero point, i.e. contributes zero. The reference loop of ConvInteger and
     * QLinearConv.
     */
    public static int convAccumulate(ConvShape s, byte[] x, int xo, boolean ux, int zx, byte[] w, int wo, boolean uw, int zw,
                                     int n, int co, int od, int oh, int ow) {
        int g = co / s.mg, kk = s.kernelSize(), acc = 0;
        for (int ci = 0; ci < s.cg; ci++) {
            int xc = xo + (n * s.c + g * s.cg + ci) * s.inPlane();
            int wc = wo + (co * s.cg + ci) * kk;
            for (int kd = 0; kd < s.kd; kd++) {
                int id = od * s.sd - s.pd + kd * s.dd;
                for (int kh = 0; kh < s.kh; kh++) {
                    int ih = oh * s.sh - s.ph + kh * s.dh;
                    for (int kw = 0; kw < s.kw; kw++) {
                        int iw = ow * s.sw - s.pw + kw * s.dw;
                        if (id < 0 || id >= s.d || ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                        int xv = QuantMath.at8(x, xc + (id * s.h + ih) * s.w + iw, ux) - zx;
                        int wv = QuantMath.at8(w, wc + (kd * s.kh + kh) * s.kw + kw, uw) - zw;
                        acc += xv * wv;
                    }
                }
            }
        }
        return acc;
    }
}
