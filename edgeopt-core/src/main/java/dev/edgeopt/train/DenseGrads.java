package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.gemm.SerialGemm;
import dev.edgeopt.engine.kernels.gemm.Sgemm;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Gemm and MatMul. Rows of each output (batch samples, or gradient rows) are split over the pool;
 * every gradient element is computed by exactly one task, so no partial sums are needed.
 */
final class DenseGrads {
    private DenseGrads() {}

    static void register(GradRules r) {
        r.register("Gemm", Gemm::new);
        r.register("MatMul", MatMul::new);
    }

    /**
     * Y = alpha * A * op(B) + beta * C, with op(B) = B or B^T. Every product runs on the engine's
     * packed micro-kernel ({@link SerialGemm}); the operand all tasks share (the weights, or their
     * transpose for dA) is packed once per call. Forward and dA split the batch rows over the
     * pool, dB splits its own rows: each gradient element is a full sum computed by one task.
     */
    static final class Gemm extends TrainOp {
        private final ThreadPool pool;
        private final int m, kk, nn;
        private final boolean transB;
        private final float alpha, beta;
        private final int[] cMap;
        private final float[] bPack, gyScaled;
        private final SerialGemm[] gemms;
        private final Parallel.Loop forwardLoop, gradALoop, gradBLoop;
        // Per-run operands read by the parallel bodies.
        private float[] ra, ry, rg, rga, rgb;
        private int rao, ryo, rgo, rgao, rgbo;
        private Tensor rc;

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
            bPack = new float[Math.max(Sgemm.packedBSize(kk, nn), Sgemm.packedBSize(nn, kk))];
            gyScaled = alpha != 1f ? new float[m * nn] : null;
            int tasks = Math.max(Parallel.tasks(pool, m), Parallel.tasks(pool, Math.max(kk, nn)));
            gemms = new SerialGemm[tasks];
            for (int t = 0; t < tasks; t++) gemms[t] = new SerialGemm();
            forwardLoop = new Parallel.Loop(pool, this::forwardTask);
            gradALoop = new Parallel.Loop(pool, this::gradATask);
            gradBLoop = new Parallel.Loop(pool, this::gradBTask);
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] b = in[1].floats();
            int bo = in[1].offset();
            // op(B)[k, j] is b[j*kk + k] when transposed, else b[k*nn + j].
            if (transB) Sgemm.packB(b, bo, 1, kk, kk, nn, 1f, bPack, 0);
            else Sgemm.packB(b, bo, nn, 1, kk, nn, 1f, bPack, 0);
            ra = in[0].floats();
            rao = in[0].offset();
            ry = out[0].floats();
            ryo = out[0].offset();
            rc = cMap == null ? null : in[2];
            forwardLoop.run(m);
            ra = ry = null;
            rc = null;
        }

        private void forwardTask(int t, int s, int e) {
            if (e <= s) return;
            gemms[t].gemmPackedB(e - s, nn, kk, ra, rao + s * kk, kk, 1, bPack, 0, ry, ryo + s * nn, nn, false);
            if (alpha != 1f) for (int i = s * nn; i < e * nn; i++) ry[ryo + i] *= alpha;
            if (rc != null) {
                float[] cv = rc.floats();
                int co = rc.offset();
                for (int i = s * nn; i < e * nn; i++) ry[ryo + i] += beta * cv[co + cMap[i]];
            }
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            Tensor gA = gIn[0], gB = gIn[1], gC = cMap == null ? null : gIn[2];
            if (gC != null) {
                float[] gc = gC.floats(), g0 = gOut[0].floats();
                int gco = gC.offset(), g0o = gOut[0].offset();
                for (int i = 0; i < m * nn; i++) gc[gco + cMap[i]] += beta * g0[g0o + i];
            }
            // alpha scales both products; fold it into dY once.
            rg = gOut[0].floats();
            rgo = gOut[0].offset();
            if (gyScaled != null) {
                for (int i = 0; i < m * nn; i++) gyScaled[i] = alpha * rg[rgo + i];
                rg = gyScaled;
                rgo = 0;
            }
            ra = in[0].floats();
            rao = in[0].offset();
            if (gA != null) {
                // dA[m,k] = dY[m,n] * op(B)^T; op(B)^T[j, k] is b[j*kk + k] when transposed, else b[k*nn + j].
                float[] b = in[1].floats();
                int bo = in[1].offset();
                if (transB) Sgemm.packB(b, bo, kk, 1, nn, kk, 1f, bPack, 0);
                else Sgemm.packB(b, bo, 1, nn, nn, kk, 1f, bPack, 0);
                rga = gA.floats();
                rgao = gA.offset();
                gradALoop.run(m);
            }
            if (gB != null) {
                rgb = gB.floats();
                rgbo = gB.offset();
                gradBLoop.run(transB ? nn : kk);
            }
            ra = rg = rga = rgb = null;
        }

        private void gradATask(int t, int s, int e) {
            if (e > s) gemms[t].gemmPackedB(e - s, kk, nn, rg, rgo + s * nn, nn, 1, bPack, 0, rga, rgao + s * kk, kk, true);
        }

        /** Rows [s, e) of dB: of dY^T * A ([nn, kk]) when B is transposed, else of A^T * dY ([kk, nn]). */
        private void gradBTask(int t, int s, int e) {
            if (e <= s) return;
            if (transB) gemms[t].gemm(e - s, kk, m, rg, rgo + s, 1, nn, ra, rao, kk, 1, rgb, rgbo + s * kk, kk, true);
            else gemms[t].gemm(e - s, nn, m, ra, rao + s, 1, kk, rg, rgo, nn, 1, rgb, rgbo + s * nn, nn, true);
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
