package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D depthwise conv (group == C == M, no dilation), any kernel and stride. Each input plane is
 * copied once into a zero-padded, stride-deinterleaved buffer: padded row {@code r} holds its
 * columns {@code q, q+sw, q+2sw...} contiguously for each phase {@code q < sw}. Then input column
 * {@code ow*sw + kw} of every output column is at {@code phase(kw % sw)[ow + kw / sw]}, so a vector
 * of consecutive outputs reads consecutive floats for every tap, for stride 1 and 2 alike, and no
 * bounds checks remain in the inner loop. Planes are spread over the pool.
 */
public final class DepthwiseConv implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private final ConvShape s;
    private final Activation act;
    private final float p0, p1;
    private final int phaseLen, rowLen, rows, tasks;
    private final Scratch.Ref buf;
    private final ThreadPool pool;
    private final IntConsumer body = this::task;
    private final float[] wConst;
    // Per-run state.
    private Tensor x, w, b, y;

    public static boolean applies(ConvShape s) {
        return s.spatialRank == 2 && s.group == s.c && s.group == s.m && s.dh == 1 && s.dw == 1;
    }

    public DepthwiseConv(KernelContext kc, ConvShape s, Activation act, float p0, float p1) {
        this.s = s;
        this.act = act;
        this.p0 = p0;
        this.p1 = p1;
        this.pool = kc.pool();
        phaseLen = s.ow + (s.kw - 1) / s.sw;
        rowLen = s.sw * phaseLen;
        rows = (s.oh - 1) * s.sh + s.kh;
        int planes = s.n * s.c;
        tasks = Math.max(1, Math.min(kc.threads(), planes));
        buf = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, rows * rowLen));
        Tensor wc = kc.constant(1);
        if (wc != null) {
            wConst = new float[s.c * s.kh * s.kw];
            System.arraycopy(wc.floats(), wc.offset(), wConst, 0, wConst.length);
        } else {
            wConst = null;
        }
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        x = in[0];
        w = in[1];
        b = in.length > 2 ? in[2] : null;
        y = out[0];
        pool.parallelFor(tasks, body);
        x = w = b = y = null;
    }

    private void task(int t) {
        int planes = s.n * s.c;
        int per = (planes + tasks - 1) / tasks;
        int p0i = t * per, p1i = Math.min(planes, p0i + per);
        float[] pad = buf.floats();
        int po = buf.offset() + t * rows * rowLen;
        float[] xa = x.floats(), ya = y.floats();
        float[] wa = wConst != null ? wConst : w.floats();
        int wOff = wConst != null ? 0 : w.offset();
        for (int pl = p0i; pl < p1i; pl++) {
            int ch = pl % s.c;
            fillPadded(xa, x.offset() + pl * s.h * s.w, pad, po);
            float bias = b == null ? 0f : b.floats()[b.offset() + ch];
            int wo = wOff + ch * s.kh * s.kw;
            int yo = y.offset() + pl * s.oh * s.ow;
            for (int oh = 0; oh < s.oh; oh++) {
                int yr = yo + oh * s.ow;
                int rb = po + oh * s.sh * rowLen;
                int ow = 0;
                for (; ow + 2 * L <= s.ow; ow += 2 * L) {
                    FloatVector a0 = FloatVector.broadcast(S, bias), a1 = a0;
                    for (int kh = 0; kh < s.kh; kh++) {
                        int r = rb + kh * rowLen;
                        for (int kw = 0; kw < s.kw; kw++) {
                            FloatVector wv = FloatVector.broadcast(S, wa[wo + kh * s.kw + kw]);
                            int src = r + (kw % s.sw) * phaseLen + kw / s.sw + ow;
                            a0 = wv.fma(FloatVector.fromArray(S, pad, src), a0);
                            a1 = wv.fma(FloatVector.fromArray(S, pad, src + L), a1);
                        }
                    }
                    a0.intoArray(ya, yr + ow);
                    a1.intoArray(ya, yr + ow + L);
                }
                for (; ow + L <= s.ow; ow += L) {
                    FloatVector a0 = FloatVector.broadcast(S, bias);
                    for (int kh = 0; kh < s.kh; kh++) {
                        int r = rb + kh * rowLen;
                        for (int kw = 0; kw < s.kw; kw++) {
                            int src = r + (kw % s.sw) * phaseLen + kw / s.sw + ow;
                            a0 = FloatVector.broadcast(S, wa[wo + kh * s.kw + kw]).fma(FloatVector.fromArray(S, pad, src), a0);
                        }
                    }
                    a0.intoArray(ya, yr + ow);
                }
                for (; ow < s.ow; ow++) {
                    float acc = bias;
                    for (int kh = 0; kh < s.kh; kh++) {
                        int r = rb + kh * rowLen;
                        for (int kw = 0; kw < s.kw; kw++) {
                            acc = Math.fma(wa[wo + kh * s.kw + kw], pad[r + (kw % s.sw) * phaseLen + kw / s.sw + ow], acc);
                        }
                    }
                    ya[yr + ow] = acc;
                }
            }
            act.applyInPlace(ya, yo, s.oh * s.ow, p0, p1);
        }
    }

    private void fillPadded(float[] xa, int xo, float[] pad, int po) {
        for (int r = 0; r < rows; r++) {
            int ih = r - s.ph;
            int d = po + r * rowLen;
            if (ih < 0 || ih >= s.h) {
                java.util.Arrays.fill(pad, d, d + rowLen, 0f);
                continue;
            }
            int src = xo + ih * s.w;
            if (s.sw == 1) {
                // Logical column lc reads input column lc - pw.
                int lo = Math.min(rowLen, s.pw), hi = Math.min(rowLen, s.pw + s.w);
                java.util.Arrays.fill(pad, d, d + lo, 0f);
                if (hi > lo) System.arraycopy(xa, src + lo - s.pw, pad, d + lo, hi - lo);
                java.util.Arrays.fill(pad, d + Math.max(lo, hi), d + rowLen, 0f);
                continue;
            }
            for (int q = 0; q < s.sw; q++) {
                int dq = d + q * phaseLen;
                for (int i = 0, lc = q; i < phaseLen; i++, lc += s.sw) {
                    int iw = lc - s.pw;
                    pad[dq + i] = iw >= 0 && iw < s.w ? xa[src + iw] : 0f;
                }
            }
        }
    }
}
