package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Gemm and MatMul. Rows of the output (batch samples) are split over the pool; every gradient
 * element is computed by exactly one task, so no partial sums are needed.
 */
final class DenseGrads {
    private DenseGrads() {}

    static void register(GradRules r) {
        r.register("Gemm", Gemm::new);
        r.register("MatMul", MatMul::new);
    }

    /** Y = alpha * A * op(B) + beta * C, with op(B) = B or B^T. */
    static final class Gemm extends TrainOp {
        private final ThreadPool pool;
        private final int m, kk, nn;
        private final boolean transB;
        private final float alpha, beta;
        private final int[] cMap;
        private final float[] bT, gyScaled;

        Gemm(TrainContext ctx) {
            ctx.requireFloat(0, 1, 2);
            int[] a = ctx.inShape(0), b = ctx.inShape(1);
            if (ctx.attrInt("transA", 0) != 0) throw ctx.fail("training supports transA=0 only");
            if (a.length != 2 || b.length != 2) throw ctx.fail("Gemm needs rank-2 A and B, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
            transB = ctx.attrInt("transB", 0) != 0;
            alpha = ctx.attrFloat("alpha", 1f);
            beta = ctx.attrFloat("beta", 1f);
            m = a[0];
            kk = a[1];
            nn = transB ? b[0] : b[1];
            int kb = transB ? b[1] : b[0];
            if (kb != kk) throw ctx.fail("A " + Arrays.toString(a) + " and B " + Arrays.toString(b) + (transB ? " (transposed)" : "") + " do not multiply");
            int[] os = {m, nn};
            if (ctx.hasInput(2)) {
                try {
                    if (!Arrays.equals(Broadcast.shape(ctx.inShape(2), os), os)) throw new IllegalArgumentException();
                } catch (IllegalArgumentException e) {
                    throw ctx.fail("C " + Arrays.toString(ctx.inShape(2)) + " does not broadcast to " + Arrays.toString(os));
                }
                cMap = Broadcast.indexMap(ctx.inShape(2), os);
            } else {
                cMap = null;
            }
            pool = ctx.pool();
            bT = transB ? new float[kk * nn] : null;
            gyScaled = alpha != 1f ? new float[m * nn] : null;
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] a = in[0].floats(), y = out[0].floats();
            int ao = in[0].offset(), yo = out[0].offset();
            float[] b = in[1].floats();
            int bo = in[1].offset(), ldb = nn;
            if (transB) {
                Blas.transpose(b, bo, kk, nn, kk, bT, 0);
                b = bT;
                bo = 0;
            }
            final float[] bb = b;
            final int bbo = bo;
            Tensor cT = cMap == null ? null : in[2];
            Parallel.range(pool, m, (t, s, e) -> {
                if (e <= s) return;
                Blas.gemm(e - s, nn, kk, a, ao + s * kk, kk, 1, bb, bbo, ldb, y, yo + s * nn, nn, false);
                if (alpha != 1f) for (int i = s * nn; i < e * nn; i++) y[yo + i] *= alpha;
                if (cT != null) {
                    float[] cv = cT.floats();
                    int co = cT.offset();
                    for (int i = s * nn; i < e * nn; i++) y[yo + i] += beta * cv[co + cMap[i]];
                }
            });
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            float[] a = in[0].floats(), b = in[1].floats();
            int ao = in[0].offset(), bo = in[1].offset();
            Tensor gA = gIn[0], gB = gIn[1], gC = cMap == null ? null : gIn[2];
            if (gC != null) {
                float[] gc = gC.floats(), g0 = gOut[0].floats();
                int gco = gC.offset(), g0o = gOut[0].offset();
                for (int i = 0; i < m * nn; i++) gc[gco + cMap[i]] += beta * g0[g0o + i];
            }
            // alpha scales both products; fold it into dY once.
            float[] gy = gOut[0].floats();
            int gyo = gOut[0].offset();
            if (gyScaled != null) {
                for (int i = 0; i < m * nn; i++) gyScaled[i] = alpha * gy[gyo + i];
                gy = gyScaled;
                gyo = 0;
            }
            final float[] g = gy;
            final int go = gyo;
            if (gA != null) {
                // dA[m,k] = dY[m,n] * op(B)^T; op(B)^T is B itself when transB, else B read by rows as dot products.
                float[] ga = gA.floats();
                int gao = gA.offset();
                Parallel.range(pool, m, (t, s, e) -> {
                    if (e <= s) return;
                    if (transB) Blas.gemm(e - s, kk, nn, g, go + s * nn, nn, 1, b, bo, kk, ga, gao + s * kk, kk, true);
                    else gemmBT(e - s, kk, nn, g, go + s * nn, b, bo, ga, gao + s * kk);
                });
            }
            if (gB != null) {
                float[] gb = gB.floats();
                int gbo = gB.offset();
                if (transB) {
                    // dB[n,k] = dY^T[n,m] * A[m,k]
                    Parallel.range(pool, nn, (t, s, e) -> {
                        if (e > s) Blas.gemm(e - s, kk, m, g, go + s, 1, nn, a, ao, kk, gb, gbo + s * kk, kk, true);
                    });
                } else {
                    // dB[k,n] = A^T[k,m] * dY[m,n]
                    Parallel.range(pool, kk, (t, s, e) -> {
                        if (e > s) Blas.gemm(e - s, nn, m, a, ao + s, 1, kk, g, go, nn, gb, gbo + s * nn, nn, true);
                    });
                }
            }
        }

        /** C[r,k] += sum_j dY[r,j] * B[k,j]: dot products along rows of B (B is [k, n], not transposed). */
        private static void gemmBT(int rows, int k, int n, float[] gy, int gyo, float[] b, int bo, float[] c, int co) {
            for (int r = 0; r < rows; r++) {
                for (int q = 0; q < k; q++) c[co + r * k + q] += Blas.dot(n, gy, gyo + r * n, b, bo + q * n);
            }
        }
    }

    /** MatMul of [..., M, K] by [K, N] (a dense layer over leading axes) or of two equal-batch stacks. */
    static final class MatMul extends TrainOp {
        private final ThreadPool pool;
        private final int batch, m, kk, nn;
        private final boolean sharedB;

        MatMul(TrainContext ctx) {
            ctx.requireFloat(0, 1);
            int[] a = ctx.inShape(0), b = ctx.inShape(1);
            if (a.length < 2 || b.length < 2) throw ctx.fail("training supports MatMul of rank >= 2 operands, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
            kk = a[a.length - 1];
            if (b[b.length - 2] != kk) throw ctx.fail(Arrays.toString(a) + " and " + Arrays.toString(b) + " do not multiply");
            nn = b[b.length - 1];
            int[] os = a.clone();
            os[os.length - 1] = nn;
            pool = ctx.pool();
            if (b.length == 2) {
                sharedB = true;
                batch = 1;
                m = Tensor.numel(a) / kk;
            } else {
                if (b.length != a.length || !Arrays.equals(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2))) {
                    throw ctx.fail("training supports MatMul with a rank-2 right operand or equal batch dims, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
                }
                sharedB = false;
                m = a[a.length - 2];
                batch = Tensor.numel(a) / (m * kk);
            }
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] a = in[0].floats(), b = in[1].floats(), y = out[0].floats();
            int ao = in[0].offset(), bo = in[1].offset(), yo = out[0].offset();
            if (sharedB) {
                Parallel.range(pool, m, (t, s, e) -> {
                    if (e > s) Blas.gemm(e - s, nn, kk, a, ao + s * kk, kk, 1, b, bo, nn, y, yo + s * nn, nn, false);
                });
            } else {
                Parallel.range(pool, batch, (t, s, e) -> {
                    for (int i = s; i < e; i++) Blas.gemm(m, nn, kk, a, ao + i * m * kk, kk, 1, b, bo + i * kk * nn, nn, y, yo + i * m * nn, nn, false);
                });
            }
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            float[] a = in[0].floats(), b = in[1].floats(), gy = gOut[0].floats();
            int ao = in[0].offset(), bo = in[1].offset(), gyo = gOut[0].offset();
            Tensor gA = gIn[0], gB = gIn[1];
            if (sharedB) {
                if (gA != null) {
                    float[] ga = gA.floats();
                    int gao = gA.offset();
                    Parallel.range(pool, m, (t, s, e) -> {
                        for (int r = s; r < e; r++) {
                            for (int q = 0; q < kk; q++) ga[gao + r * kk + q] += Blas.dot(nn, gy, gyo + r * nn, b, bo + q * nn);
                        }
                    });
                }
                if (gB != null) {
                    float[] gb = gB.floats();
                    int gbo = gB.offset();
                    Parallel.range(pool, kk, (t, s, e) -> {
                        if (e > s) Blas.gemm(e - s, nn, m, a, ao + s, 1, kk, gy, gyo, nn, gb, gbo + s * nn, nn, true);
                    });
                }
            } else {
                Parallel.range(pool, batch, (t, s, e) -> {
                    for (int i = s; i < e; i++) {
                        if (gA != null) {
                            float[] ga = gA.floats();
                            int base = gA.offset() + i * m * kk;
                            for (int r = 0; r < m; r++) {
                                for (int q = 0; q < kk; q++) ga[base + r * kk + q] += Blas.dot(nn, gy, gyo + i * m * nn + r * nn, b, bo + i * kk * nn + q * nn);
                            }
                        }
                        if (gB != null) {
                            Blas.gemm(kk, nn, m, a, ao + i * m * kk, 1, kk, gy, gyo + i * m * nn, nn, gB.floats(), gB.offset() + i * kk * nn, nn, true);
                        }
                    }
                });
            }
        }
    }
}
