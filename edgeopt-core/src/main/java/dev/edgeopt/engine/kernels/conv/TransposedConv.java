package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * ConvTranspose as the adjoint of im2col: per image and group,
 * {@code col[Mg*k, P_in] = W_g^T[Mg*k, Cg] * X_g[Cg, P_in]} by GEMM, then every column entry is
 * scattered (added) into the output pixel it lands on (col2im). Output channels are independent,
 * so col2im is spread over the pool by channel.
 */
public final class TransposedConv implements Kernel {
    private final ConvShape s;
    private final GemmJob[] jobs;
    private final Scratch.Ref col;
    private final int kk, inP, outP, tasks;
    private final ThreadPool pool;
    private final IntConsumer scatterBody = this::scatterTask;
    private Tensor y, b;
    private int curN, curG;

    public TransposedConv(KernelContext kc, ConvShape s) {
        this.s = s;
        this.pool = kc.pool();
        kk = s.kernelSize();
        inP = s.inPlane();
        outP = s.outPlane();
        int rowsA = s.mg * kk;
        Tensor w = kc.constant(1);
        // W is [C, Mg, k...]: for group g, A(i = mrow, k = ci) sits at (g*Cg + ci)*Mg*k + i.
        if (w != null) {
            jobs = new GemmJob[s.group];
            for (int g = 0; g < s.group; g++) {
                jobs[g] = new GemmJob(kc, rowsA, inP, s.cg, w.floats(), w.offset() + g * s.cg * rowsA, 1, rowsA, 1f, null, 0, inP, 1, inP);
            }
        } else {
            jobs = new GemmJob[] {new GemmJob(kc, rowsA, inP, s.cg, null, 0, 1, rowsA, 1f, null, 0, inP, 1, inP)};
        }
        col = kc.scratch(DType.FLOAT, Math.multiplyExact(rowsA, inP));
        tasks = Math.max(1, Math.min(kc.threads(), s.mg));
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0], w = in[1];
        y = out[0];
        b = in.length > 2 ? in[2] : null;
        for (int n = 0; n < s.n; n++) {
            for (int g = 0; g < s.group; g++) {
                GemmJob j = jobs.length == 1 ? jobs[0] : jobs[g];
                j.a = w.floats();
                j.aOff = w.offset() + g * s.cg * s.mg * kk;
                j.b = x.floats();
                j.bOff = x.offset() + (n * s.c + g * s.cg) * inP;
                j.c = col.floats();
                j.cOff = col.offset();
                j.run();
                curN = n;
                curG = g;
                pool.parallelFor(tasks, scatterBody);
            }
        }
        y = b = null;
    }

    private void scatterTask(int t) {
        int per = (s.mg + tasks - 1) / tasks;
        int m0 = t * per, m1 = Math.min(s.mg, m0 + per);
        float[] ya = y.floats(), ca = col.floats();
        int khw = s.kh * s.kw;
        for (int mi = m0; mi < m1; mi++) {
            int co = curG * s.mg + mi;
            int yo = y.offset() + (curN * s.m + co) * outP;
            float bias = b == null ? 0f : b.floats()[b.offset() + co];
            java.util.Arrays.fill(ya, yo, yo + outP, bias);
            for (int ki = 0; ki < kk; ki++) {
                int kd = ki / khw, kh = (ki % khw) / s.kw, kw = ki % s.kw;
                int cr = col.offset() + (mi * kk + ki) * inP;
                for (int id = 0; id < s.d; id++) {
                    int od = id * s.sd - s.pd + kd * s.dd;
                    if (od < 0 || od >= s.od) continue;
                    for (int ih = 0; ih < s.h; ih++) {
                        int oh = ih * s.sh - s.ph + kh * s.dh;
                        if (oh < 0 || oh >= s.oh) continue;
                        int src = cr + (id * s.h + ih) * s.w;
                        int dst = yo + (od * s.oh + oh) * s.ow;
                        for (int iw = 0; iw < s.w; iw++) {
                            int ow = iw * s.sw - s.pw + kw * s.dw;
                            if (ow >= 0 && ow < s.ow) ya[dst + ow] += ca[src + iw];
                        }
                    }
                }
            }
        }
    }
}
