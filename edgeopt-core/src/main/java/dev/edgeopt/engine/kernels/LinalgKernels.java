package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.conv.ConvShape;
import dev.edgeopt.engine.kernels.conv.DepthwiseConv;
import dev.edgeopt.engine.kernels.conv.DirectConv;
import dev.edgeopt.engine.kernels.conv.GemmConv;
import dev.edgeopt.engine.kernels.conv.TransposedConv;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;

/**
 * Kernels of the MAC-bearing ops (Conv, ConvTranspose, Gemm, MatMul, and their integer forms); see
 * {@link KernelRegistry#standard()}. The fp32 ones all run on the packed GEMM in
 * {@code kernels.gemm} except depthwise Conv and convs over few input channels (stems), which have
 * direct kernels. The fused forms in
 * {@link FusedKernels} are the same kernels with an activation epilogue.
 */
public final class LinalgKernels {
    private LinalgKernels() {}

    public static void register(KernelRegistry r) {
        r.register("Conv", kc -> conv(kc, Activation.NONE));
        r.register("ConvTranspose", LinalgKernels::convTranspose);
        r.register("Gemm", kc -> gemm(kc, Activation.NONE));
        r.register("MatMul", kc -> matMul(kc, Activation.NONE));
        r.register("MatMulInteger", IntegerLinalg::matMulInteger);
        r.register("ConvInteger", IntegerLinalg::convInteger);
    }

    /** The activation's parameters: {@code activation_params} when given, else ONNX's defaults. */
    static float[] activationParams(KernelContext kc, Activation act) {
        float[] d = act.defaults();
        float[] p = kc.attrFloats(FusedOps.ACTIVATION_PARAMS, null);
        float[] r = {0f, 0f};
        for (int i = 0; i < 2; i++) r[i] = p != null && i < p.length ? p[i] : i < d.length ? d[i] : 0f;
        return r;
    }

    private static void requireFloat(KernelContext kc, int... inputs) {
        for (int i : inputs) {
            if (kc.hasInput(i) && kc.inDtype(i) != DType.FLOAT) {
                throw kc.fail(kc.node().opType() + " supports float32 only, input " + i + " is " + kc.inDtype(i));
            }
        }
    }

    static Kernel conv(KernelContext kc, Activation act) {
        requireFloat(kc, 0, 1, 2);
        ConvShape s = ConvShape.conv(kc);
        float[] p = activationParams(kc, act);
        if (DepthwiseConv.applies(s)) return new DepthwiseConv(kc, s, act, p[0], p[1]);
        if (DirectConv.applies(kc, s, act)) return new DirectConv(kc, s, act, p[0], p[1]);
        return new GemmConv(kc, s, act, p[0], p[1]);
    }

    static Kernel convTranspose(KernelContext kc) {
        requireFloat(kc, 0, 1, 2);
        return new TransposedConv(kc, ConvShape.convTranspose(kc));
    }

    static Kernel gemm(KernelContext kc, Activation act) {
        requireFloat(kc, 0, 1, 2);
        int[] as = kc.inShape(0), bs = kc.inShape(1);
        if (as.length != 2 || bs.length != 2) throw kc.fail("Gemm needs 2-D A and B");
        boolean ta = kc.attrInt("transA", 0) != 0, tb = kc.attrInt("transB", 0) != 0;
        float alpha = kc.attrFloat("alpha", 1f), beta = kc.attrFloat("beta", 1f);
        int m = ta ? as[1] : as[0], k = ta ? as[0] : as[1], n = tb ? bs[0] : bs[1];
        if ((tb ? bs[1] : bs[0]) != k) throw kc.fail("inner dimensions differ");
        // Element (i, kk) of op(A) is at i*aRs + kk*aCs; likewise for op(B).
        int aRs = ta ? 1 : k, aCs = ta ? m : 1, bRs = tb ? 1 : n, bCs = tb ? k : 1;
        Tensor aC = kc.constant(0), bC = kc.constant(1);
        GemmJob job = new GemmJob(kc, m, n, k, aC == null ? null : aC.floats(), aC == null ? 0 : aC.offset(), aRs, aCs, alpha,
                bC == null ? null : bC.floats(), bC == null ? 0 : bC.offset(), bRs, bCs, n);
        float[] p = activationParams(kc, act);
        job.ep.setActivation(act, p[0], p[1]);
        // C: a row vector with beta 1 is a column bias, a column vector a row bias; anything else is
        // written as beta*C first and accumulated onto.
        int mode = 0; // 0 none, 1 col bias, 2 row bias, 3 prefill
        int cRs = 0, cCs = 0;
        if (kc.hasInput(2) && beta != 0f) {
            int[] cs = kc.inShape(2);
            int cm = cs.length == 2 ? cs[0] : 1, cn = cs.length >= 1 ? cs[cs.length - 1] : 1;
            if ((cm != 1 && cm != m) || (cn != 1 && cn != n) || cs.length > 2) throw kc.fail("C of shape " + java.util.Arrays.toString(cs) + " does not broadcast to [" + m + "," + n + "]");
            cRs = cm == 1 ? 0 : cn;
            cCs = cn == 1 ? 0 : 1;
            if (beta == 1f && cm == 1 && cn == n && n > 1) mode = 1;
            else if (beta == 1f && cn == 1 && cm == m && m > 1) mode = 2;
            else mode = 3;
        }
        final int fMode = mode, fRs = cRs, fCs = cCs;
        return (in, out) -> {
            Tensor y = out[0];
            job.a = in[0].floats();
            job.aOff = in[0].offset();
            job.b = in[1].floats();
            job.bOff = in[1].offset();
            job.c = y.floats();
            job.cOff = y.offset();
            job.accumulate = fMode == 3;
            job.ep.colBias = null;
            job.ep.rowBias = null;
            if (fMode == 1) {
                job.ep.colBias = in[2].floats();
                job.ep.colBiasOff = in[2].offset();
            } else if (fMode == 2) {
                job.ep.rowBias = in[2].floats();
                job.ep.rowBiasOff = in[2].offset();
            } else if (fMode == 3) {
                float[] c = in[2].floats(), ya = y.floats();
                int co = in[2].offset(), yo = y.offset();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) ya[yo + i * n + j] = beta * c[co + i * fRs + j * fCs];
                }
            }
            job.run();
        };
    }

    static Kernel matMul(KernelContext kc, Activation act) {
        requireFloat(kc, 0, 1, 2);
        int[] as = kc.inShape(0), bs = kc.inShape(1);
        if (as.length == 0 || bs.length == 0) throw kc.fail("MatMul operands must have rank >= 1");
        int[] a2 = as.length == 1 ? new int[] {1, as[0]} : as;
        int[] b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        int m = a2[a2.length - 2], k = a2[a2.length - 1], n = b2[b2.length - 1];
        if (b2[b2.length - 2] != k) throw kc.fail("inner dimensions differ: " + java.util.Arrays.toString(as) + " x " + java.util.Arrays.toString(bs));
        int[] aBatch = java.util.Arrays.copyOf(a2, a2.length - 2), bBatch = java.util.Arrays.copyOf(b2, b2.length - 2);
        int[] batch = Broadcast.shape(aBatch, bBatch);
        int nb = Tensor.numel(batch);
        int[] aMap = Broadcast.indexMap(aBatch, batch), bMap = Broadcast.indexMap(bBatch, batch);
        Tensor bC = kc.constant(1);
        boolean packB = bC != null && Tensor.numel(bBatch) == 1;
        GemmJob job = new GemmJob(kc, m, n, k, null, 0, k, 1, 1f,
                packB ? bC.floats() : null, packB ? bC.offset() : 0, n, 1, n);
        float[] p = activationParams(kc, act);
        job.ep.setActivation(act, p[0], p[1]);
        boolean bias = kc.hasInput(2);
        if (bias && (kc.inShape(2).length != 1 || kc.inShape(2)[0] != n)) throw kc.fail("bias must have shape [" + n + "]");
        int mk = m * k, kn = k * n, mn = m * n;
        return (in, out) -> {
            Tensor y = out[0];
            job.ep.colBias = bias ? in[2].floats() : null;
            job.ep.colBiasOff = bias ? in[2].offset() : 0;
            for (int i = 0; i < nb; i++) {
                job.a = in[0].floats();
                job.aOff = in[0].offset() + aMap[i] * mk;
                job.b = in[1].floats();
                job.bOff = in[1].offset() + bMap[i] * kn;
                job.c = y.floats();
                job.cOff = y.offset() + i * mn;
                job.run();
            }
        };
    }
}
