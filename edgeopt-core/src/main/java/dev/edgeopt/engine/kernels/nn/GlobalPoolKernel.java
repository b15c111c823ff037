package dev.edgeopt.engine.kernels.nn;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.MAX;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GlobalAveragePool, GlobalMaxPool and GlobalLpPool: one reduction per (batch, channel) plane,
 * vectorized along the plane and split across the pool by planes.
 */
public final class GlobalPoolKernel implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    public enum Mode { AVG, MAX, LP }

    private final Mode mode;
    private final int planes, plane;
    private final float p;
    private final ThreadPool pool;
    private final int tasks;
    private final IntConsumer body = this::task;
    private float[] xa, ya;
    private int xo, yo;

    private GlobalPoolKernel(KernelContext kc, Mode mode) {
        this.mode = mode;
        if (kc.inDtype(0) != DType.FLOAT) throw kc.fail("supports float32, got " + kc.inDtype(0));
        int[] xs = kc.inShape(0);
        if (xs.length < 3) throw kc.fail("input must have rank >= 3, got " + java.util.Arrays.toString(xs));
        planes = xs[0] * xs[1];
        plane = Tensor.numel(xs) / Math.max(1, planes);
        long pa = kc.attrInt("p", 2);
        if (mode == Mode.LP && pa <= 0) throw kc.fail("p must be positive, got " + pa);
        p = pa;
        pool = kc.pool();
        // Small planes are not worth a hand-off to other threads.
        long work = (long) planes * plane;
        tasks = work < 32_768 ? 1 : Math.max(1, Math.min(planes, kc.threads() * 4));
    }

    public static Kernel average(KernelContext kc) { return new GlobalPoolKernel(kc, Mode.AVG); }

    public static Kernel max(KernelContext kc) { return new GlobalPoolKernel(kc, Mode.MAX); }

    public static Kernel lp(KernelContext kc) { return new GlobalPoolKernel(kc, Mode.LP); }

    @Override public void run(Tensor[] in, Tensor[] out) {
        xa = in[0].floats();
        xo = in[0].offset();
        ya = out[0].floats();
        yo = out[0].offset();
        if (planes > 0) pool.parallelFor(tasks, body);
        xa = ya = null;
    }

    private void task(int t) {
        int from = (int) ((long) planes * t / tasks), to = (int) ((long) planes * (t + 1) / tasks);
        for (int pl = from; pl < to; pl++) {
            int b = xo + pl * plane;
            ya[yo + pl] = switch (mode) {
                case AVG -> sum(xa, b, plane) / plane;
                case MAX -> max(xa, b, plane);
                case LP -> p == 2f ? (float) Math.sqrt(sumSquares(xa, b, plane)) : lp(xa, b, plane, p);
            };
        }
    }

    static float sum(float[] x, int off, int n) {
        int i = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) acc = acc.lanewise(ADD, FloatVector.fromArray(S, x, off + i));
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    static float sumSquares(float[] x, int off, int n) {
        int i = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, off + i);
                acc = v.lanewise(FMA, v, acc);
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += x[off + i] * x[off + i];
        return s;
    }

    static float max(float[] x, int off, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) acc = acc.lanewise(MAX, FloatVector.fromArray(S, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    private static float lp(float[] x, int off, int n, float p) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.pow(Math.abs(x[off + i]), p);
        return (float) Math.pow(s, 1.0 / p);
    }
}
