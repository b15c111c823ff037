package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax, LogSoftmax and Hardmax over a tensor viewed as [outer, n, inner], normalizing along n.
 * Opset 13+ normalizes one axis (inner is the product after it); earlier opsets coerce the input to
 * 2-D at the axis (inner is 1, n the product from the axis on); the caller picks the view. The
 * maximum is subtracted first so large logits do not overflow. Rows with inner == 1 in float32 use
 * vector lanes; the work is split over the pool by (outer, inner) lines.
 */
public final class SoftmaxKernel extends RangeKernel {
    public enum Kind { SOFTMAX, LOG_SOFTMAX, HARDMAX }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final Kind kind;
    private final DType dtype;
    private final int n, inner;

    public SoftmaxKernel(ThreadPool pool, Kind kind, DType dtype, int outer, int n, int inner) {
        super(pool, outer * inner, 1, Math.max(1, n) * 4L);
        this.kind = kind;
        this.dtype = dtype;
        this.n = n;
        this.inner = inner;
    }

    @Override protected void range(int start, int end) {
        Tensor x = in[0], y = out[0];
        if (dtype == DType.FLOAT && inner > 1 && kind != Kind.HARDMAX) {
            // Lines of one outer index sit side by side: vector lanes run across them.
            int line = start;
            while (line < end) {
                int o = line / inner, i0 = line - o * inner, i1 = Math.min(inner, i0 + end - line);
                acrossLines(x.floats(), x.offset() + o * n * inner, y.floats(), y.offset() + o * n * inner, i0, i1);
                line += i1 - i0;
            }
            return;
        }
        for (int line = start; line < end; line++) {
            int o = line / inner, i = line - o * inner;
            int base = o * n * inner + i;
            if (dtype == DType.FLOAT && inner == 1 && kind != Kind.HARDMAX) {
                vectorLine(x.floats(), x.offset() + base, y.floats(), y.offset() + base);
            } else {
                scalarLine(x, y, base);
            }
        }
    }

    /** Lines {@code [i0, i1)} of one outer block, each strided by inner; lanes hold neighbouring lines. */
    private void acrossLines(float[] a, int xb, float[] b, int yb, int i0, int i1) {
        int vl = S.length(), i = i0;
        for (; i + vl <= i1; i += vl) {
            FloatVector m = FloatVector.fromArray(S, a, xb + i);
            for (int k = 1; k < n; k++) m = m.max(FloatVector.fromArray(S, a, xb + k * inner + i));
            FloatVector sum = FloatVector.zero(S);
            if (kind == Kind.SOFTMAX) {
                for (int k = 0; k < n; k++) {
                    FloatVector e = FloatVector.fromArray(S, a, xb + k * inner + i).sub(m).lanewise(VectorOperators.EXP);
                    e.intoArray(b, yb + k * inner + i);
                    sum = sum.add(e);
                }
                FloatVector inv = FloatVector.broadcast(S, 1f).div(sum);
                for (int k = 0; k < n; k++) FloatVector.fromArray(S, b, yb + k * inner + i).mul(inv).intoArray(b, yb + k * inner + i);
            } else {
                for (int k = 0; k < n; k++) sum = sum.add(FloatVector.fromArray(S, a, xb + k * inner + i).sub(m).lanewise(VectorOperators.EXP));
                FloatVector shift = m.add(sum.lanewise(VectorOperators.LOG));
                for (int k = 0; k < n; k++) FloatVector.fromArray(S, a, xb + k * inner + i).sub(shift).intoArray(b, yb + k * inner + i);
            }
        }
        for (; i < i1; i++) scalarLine(in[0], out[0], xb - in[0].offset() + i);
    }

    /** One contiguous line; the tail runs the same vector code under a mask (a scalar exp per element costs more than the line). */
    private void vectorLine(float[] a, int xo, float[] b, int yo) {
        int ub = S.loopBound(n), vl = S.length(), k = 0;
        VectorMask<Float> tail = S.indexInRange(ub, n);
        boolean hasTail = ub < n;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; k < ub; k += vl) acc = acc.max(FloatVector.fromArray(S, a, xo + k));
        if (hasTail) acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, a, xo + ub, tail), tail);
        float m = acc.reduceLanes(VectorOperators.MAX);
        FloatVector vm = FloatVector.broadcast(S, m), sum = FloatVector.zero(S);
        if (kind == Kind.SOFTMAX) {
            for (k = 0; k < ub; k += vl) {
                FloatVector e = FloatVector.fromArray(S, a, xo + k).sub(vm).lanewise(VectorOperators.EXP);
                e.intoArray(b, yo + k);
                sum = sum.add(e);
            }
            if (hasTail) {
                FloatVector e = FloatVector.fromArray(S, a, xo + ub, tail).sub(vm).lanewise(VectorOperators.EXP);
                e.intoArray(b, yo + ub, tail);
                sum = sum.add(e, tail);
            }
            float inv = 1f / sum.reduceLanes(VectorOperators.ADD);
            for (k = 0; k < ub; k += vl) FloatVector.fromArray(S, b, yo + k).mul(inv).intoArray(b, yo + k);
            if (hasTail) FloatVector.fromArray(S, b, yo + ub, tail).mul(inv).intoArray(b, yo + ub, tail);
        } else {
            for (k = 0; k < ub; k += vl) sum = sum.add(FloatVector.fromArray(S, a, xo + k).sub(vm).lanewise(VectorOperators.EXP));
            if (hasTail) sum = sum.add(FloatVector.fromArray(S, a, xo + ub, tail).sub(vm).lanewise(VectorOperators.EXP), tail);
            float shift = (float) (m + Math.log(sum.reduceLanes(VectorOperators.ADD)));
            for (k = 0; k < ub; k += vl) FloatVector.fromArray(S, a, xo + k).sub(shift).intoArray(b, yo + k);
            if (hasTail) FloatVector.fromArray(S, a, xo + ub, tail).sub(shift).intoArray(b, yo + ub, tail);
        }
    }

    private void scalarLine(Tensor x, Tensor y, int base) {
        double m = Double.NEGATIVE_INFINITY;
        int arg = 0;
        for (int k = 0; k < n; k++) {
            double v = x.getDouble(base + k * inner);
            if (k == 0 || v > m) {
                m = v;
                arg = k; // the first maximum, as Hardmax requires
            }
        }
        switch (kind) {
            case HARDMAX -> { for (int k = 0; k < n; k++) y.setDouble(base + k * inner, k == arg ? 1 : 0); }
            case SOFTMAX -> {
                double s = 0;
                for (int k = 0; k < n; k++) s += Math.exp(x.getDouble(base + k * inner) - m);
                for (int k = 0; k < n; k++) y.setDouble(base + k * inner, Math.exp(x.getDouble(base + k * inner) - m) / s);
            }
            case LOG_SOFTMAX -> {
                double s = 0;
                for (int k = 0; k < n; k++) s += Math.exp(x.getDouble(base + k * inner) - m);
                double shift = m + Math.log(s);
                for (int k = 0; k < n; k++) y.setDouble(base + k * inner, x.getDouble(base + k * inner) - shift);
            }
        }
    }
}
