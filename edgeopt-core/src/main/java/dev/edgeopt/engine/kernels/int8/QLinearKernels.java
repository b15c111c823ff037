package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.IntegerLinalg;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.engine.kernels.conv.ConvShape;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * The integer GEMM-like ops of the QOperator format: QLinearConv, QLinearMatMul (default domain)
 * and ONNX Runtime's QGemm (domain com.microsoft). Each accumulates
 * {@code sum (x - x_zp) * (w - w_zp[c])} (+ int32 bias) exactly in int32 and requantizes it per
 * output channel c through {@link Requantize}. Weight channels are W's axis 0 for QLinearConv and
 * B's columns (N) for QLinearMatMul and QGemm, as in ONNX and ONNX Runtime.
 */
public final class QLinearKernels {
    private QLinearKernels() {}

    public static void register(KernelRegistry r) {
        r.register("QLinearConv", QLinearKernels::conv);
        r.register("QLinearMatMul", kc -> matMul(kc, false));
        r.register("com.microsoft", "QGemm", kc -> matMul(kc, true));
    }

    static Kernel conv(KernelContext kc) {
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3, got " + Arrays.toString(xs));
        // ConvShape reads x and w from inputs 0 and 1; QLinearConv has w at input 3.
        ConvShape s = ConvShape.conv(kc.derive(new TensorType[] {kc.inType(0), kc.inType(3)}, new TensorType[] {kc.outType(0)}, null));
        QParams q = new QParams(kc, s.m, 1, 2, 4, 5, 6, 7, 1f, "output channel");
        if (kc.hasInput(8)) {
            if (kc.inDtype(8) != DType.INT32) throw kc.fail("bias must be int32, got " + kc.inDtype(8));
            if (Tensor.numel(kc.inShape(8)) != s.m) throw kc.fail("bias must have " + s.m + " values, got shape " + Arrays.toString(kc.inShape(8)));
        }
        return FastQConv.applies(kc, q) ? new FastQConv(kc, s, q) : new ReferenceConv(s, q);
    }

    /** QLinearMatMul (matmul broadcasting, rank >= 1) or QGemm (2-D, transA/transB, alpha, C). */
    static Kernel matMul(KernelContext kc, boolean gemm) {
        int[] as = kc.inShape(0), bs = kc.inShape(3);
        boolean ta = gemm && kc.attrInt("transA", 0) != 0, tb = gemm && kc.attrInt("transB", 0) != 0;
        float alpha = gemm ? kc.attrFloat("alpha", 1f) : 1f;
        if (gemm && (as.length != 2 || bs.length != 2)) throw kc.fail("A and B must be 2-D, got " + Arrays.toString(as) + " and " + Arrays.toString(bs));
        if (as.length == 0 || bs.length == 0) throw kc.fail("operands must have rank >= 1");
        int[] a2 = as.length == 1 ? new int[] {1, as[0]} : as;
        int[] b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        int m = a2[a2.length - (ta ? 1 : 2)], k = a2[a2.length - (ta ? 2 : 1)];
        int kb = b2[b2.length - (tb ? 1 : 2)], n = b2[b2.length - (tb ? 2 : 1)];
        if (k != kb) throw kc.fail("inner dimensions differ: " + Arrays.toString(as) + " x " + Arrays.toString(bs));
        int[] aBatch = Arrays.copyOf(a2, a2.length - 2), bBatch = Arrays.copyOf(b2, b2.length - 2);
        int[] batch = Broadcast.shape(aBatch, bBatch);
        QParams q = gemm ? new QParams(kc, n, 1, 2, 4, 5, 7, 8, alpha, "column of B")
                : new QParams(kc, n, 1, 2, 4, 5, 6, 7, 1f, "column of b");
        int cRow = 0, cCol = 0;
        boolean hasC = gemm && kc.hasInput(6);
        if (hasC) {
            if (kc.inDtype(6) != DType.INT32) throw kc.fail("C must be int32, got " + kc.inDtype(6));
            int[] cs = kc.inShape(6);
            int[] c2 = cs.length >= 2 ? cs : cs.length == 1 ? new int[] {1, cs[0]} : new int[] {1, 1};
            if (cs.length > 2 || (c2[0] != 1 && c2[0] != m) || (c2[1] != 1 && c2[1] != n)) {
                throw kc.fail("C " + Arrays.toString(cs) + " does not broadcast to [" + m + ", " + n + "]");
            }
            cRow = c2[0] == 1 ? 0 : c2[1];
            cCol = c2[1] == 1 ? 0 : 1;
        }
        int[] bMap = Broadcast.indexMap(bBatch, batch);
        if (FastQMatMul.applies(kc, q, bMap, hasC)) return new FastQMatMul(kc, q, Tensor.numel(batch) * m, m, k, n, ta, tb, hasC, cRow, cCol);
        return new ReferenceMatMul(q, m, k, n, ta, tb, Tensor.numel(batch), Broadcast.indexMap(aBatch, batch), bMap, hasC, cRow, cCol);
    }

    /** Plain loops: the oracle the fast kernels are tested against, and the fallback. */
    static final class ReferenceConv implements Kernel {
        private final ConvShape s;
        private final QParams q;

        ReferenceConv(ConvShape s, QParams q) {
            this.s = s;
            this.q = q;
        }

        @Override public void run(Tensor[] in, Tensor[] out) {
            q.bind(in);
            byte[] x = in[0].bytes(), w = in[3].bytes();
            Tensor bias = in.length > 8 ? in[8] : null;
            int xo = in[0].offset(), wo = in[3].offset();
            int kk = s.kernelSize();
            for (int n = 0; n < s.n; n++) {
                for (int co = 0; co < s.m; co++) {
                    int zw = q.wZp[co];
                    int b0 = bias == null ? 0 : bias.ints()[bias.offset() + co];
                    for (int od = 0; od < s.od; od++) {
                        for (int oh = 0; oh < s.oh; oh++) {
                            for (int ow = 0; ow < s.ow; ow++) {
                                int acc = b0 + IntegerLinalg.convAccumulate(s, x, xo, q.xUnsigned, q.xZp, w, wo, q.wUnsigned, zw, n, co, od, oh, ow);
                                int yi = ((n * s.m + co) * s.od + od) * s.oh * s.ow + oh * s.ow + ow;
                                store(q, out[0], yi, acc, co);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Writes one accumulator of channel c: requantized, or scaled to float. */
    static void store(QParams q, Tensor y, int i, int acc, int c) {
        if (q.floatOut) {
            y.floats()[y.offset() + i] = acc * q.fscale[c];
        } else {
            y.bytes()[y.offset() + i] = (byte) Requantize.requantize(acc, q.mult[c], q.shift[c], q.yZp, q.lo, q.hi);
        }
    }

    static final class ReferenceMatMul implements Kernel {
        private final QParams q;
        private final int m, k, n, nb, cRow, cCol;
        private final boolean ta, tb, hasC;
        private final int[] aMap, bMap;

        ReferenceMatMul(QParams q, int m, int k, int n, boolean ta, boolean tb, int nb, int[] aMap, int[] bMap, boolean hasC, int cRow, int cCol) {
            this.q = q;
            this.m = m;
            this.k = k;
            this.n = n;
            this.ta = ta;
            this.tb = tb;
            this.nb = nb;
            this.aMap = aMap;
            this.bMap = bMap;
            this.hasC = hasC;
            this.cRow = cRow;
            this.cCol = cCol;
        }

        @Override public void run(Tensor[] in, Tensor[] out) {
            q.bind(in);
            byte[] a = in[0].bytes(), b = in[3].bytes();
            Tensor c = hasC ? in[6] : null;
            for (int bi = 0; bi < nb; bi++) {
                int ao = in[0].offset() + aMap[bi] * m * k, bo = in[3].offset() + bMap[bi] * k * n;
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int zb = q.wZp[j];
                        int acc = c == null ? 0 : c.ints()[c.offset() + i * cRow + j * cCol];
                        for (int kk = 0; kk < k; kk++) {
                            int av = QuantMath.at8(a, ao + (ta ? kk * m + i : i * k + kk), q.xUnsigned) - q.xZp;
                            int bv = QuantMath.at8(b, bo + (tb ? j * k + kk : kk * n + j), q.wUnsigned) - zb;
                            acc += av * bv;
                        }
                        store(q, out[0], (bi * m + i) * n + j, acc, j);
                    }
                }
            }
        }
    }
}
