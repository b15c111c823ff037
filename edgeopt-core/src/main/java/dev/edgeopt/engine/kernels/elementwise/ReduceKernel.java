package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reduce* over any set of axes. Prepare computes, for each output element, the offset of its first
 * input element, and for each position of the reduction, its offset from there; run then loops
 * without index arithmetic. When the reduced axes are the trailing ones (ReduceMean over H,W of
 * NCHW) each reduction reads a contiguous run, and float32 sums and extrema use vector lanes along
 * it; when kept axes follow the reduced block (ReduceMean over C of NCHW), lanes run across
 * neighbouring outputs instead.
 * Accumulation is in double elsewhere, exact long for integer types.
 */
public final class ReduceKernel extends RangeKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final ReduceOp op;
    private final DType dtype;
    private final int[] outBase;
    private final int[] redOff;
    private final int redN;
    private final boolean contiguous;
    /** When the reduced axes form one block with kept axes after it: [outer, redN, inner], inner > 1. */
    private final int inner;

    public ReduceKernel(ThreadPool pool, ReduceOp op, DType dtype, int[] inShape, boolean[] reduced) {
        super(pool, outCount(inShape, reduced), 1, Math.max(1, redCount(inShape, reduced)));
        this.op = op;
        this.dtype = dtype;
        int r = inShape.length;
        int[] st = Tensor.strides(inShape);
        int outN = outCount(inShape, reduced);
        redN = redCount(inShape, reduced);
        outBase = offsets(inShape, st, reduced, false, outN);
        redOff = offsets(inShape, st, reduced, true, redN);
        boolean c = true;
        for (int i = 0; i < redN; i++) if (redOff[i] != i) { c = false; break; }
        contiguous = c;
        inner = middleInner(inShape, reduced);
    }

    /** inner for the [outer, reduced block, inner] layout, or 0 when the reduced axes are not one block before kept ones. */
    private static int middleInner(int[] shape, boolean[] reduced) {
        int first = -1, last = -1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1 || !reduced[d]) continue;
            if (first < 0) first = d;
            last = d;
        }
        if (first < 0) return 0;
        for (int d = first; d <= last; d++) if (shape[d] != 1 && !reduced[d]) return 0;
        int in = 1;
        for (int d = last + 1; d < shape.length; d++) in *= shape[d];
        return in > 1 ? in : 0;
    }

    private boolean stridedVector() {
        if (dtype != DType.FLOAT || inner == 0) return false;
        return switch (op) {
            case SUM, MEAN, SUM_SQUARE, L1, L2, MAX, MIN -> true;
            default -> false;
        };
    }

    static int outCount(int[] shape, boolean[] reduced) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) if (!reduced[i]) n *= shape[i];
        return (int) n;
    }

    static int redCount(int[] shape, boolean[] reduced) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) if (reduced[i]) n *= shape[i];
        return (int) n;
    }

    /** Offsets of every index over the axes where {@code reduced[i] == which}, in row-major order. */
    private static int[] offsets(int[] shape, int[] st, boolean[] reduced, boolean which, int count) {
        int[] res = new int[count];
        int[] axes = java.util.stream.IntStream.range(0, shape.length).filter(i -> reduced[i] == which).toArray();
        int[] idx = new int[axes.length];
        for (int k = 0; k < count; k++) {
            int off = 0;
            for (int j = 0; j < axes.length; j++) off += idx[j] * st[axes[j]];
            res[k] = off;
            for (int j = axes.length - 1; j >= 0; j--) {
                if (++idx[j] < shape[axes[j]]) break;
                idx[j] = 0;
            }
        }
        return res;
    }

    @Override protected void range(int start, int end) {
        Tensor x = in[0], y = out[0];
        if (stridedVector()) {
            // Outputs of one outer index sit side by side: vector lanes run across them.
            int p = start;
            while (p < end) {
                int o = p / inner, i0 = p - o * inner, i1 = Math.min(inner, i0 + end - p);
                acrossOutputs(x.floats(), x.offset() + o * redN * inner, y.floats(), y.offset() + o * inner, i0, i1);
                p += i1 - i0;
            }
            return;
        }
        for (int o = start; o < end; o++) {
            int base = outBase[o];
            if (dtype == DType.FLOAT) {
                y.floats()[y.offset() + o] = (float) reduceFloat(x.floats(), x.offset() + base);
            } else if (dtype.isFloating()) {
                y.setDouble(o, reduceReal(x, base));
            } else {
                y.setLong(o, reduceLong(x, base, dtype.isUnsigned()));
            }
        }
    }

    /**
     * Outputs {@code [i0, i1)} of one outer block, lanes across outputs. Each op's loop stores its
     * own result: a vector merged from several branches would be boxed.
     */
    private void acrossOutputs(float[] a, int xb, float[] b, int yb, int i0, int i1) {
        int vl = S.length();
        for (int i = i0; i < i1; i += vl) {
            VectorMask<Float> m = S.indexInRange(i, i1);
            int off = xb + i;
            switch (op) {
                case MAX -> {
                    FloatVector t = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    for (int r = 0; r < redN; r++) {
                        t = t.max(FloatVector.fromArray(S, a, off + r * inner, m));
                    }
                    t.intoArray(b, yb + i, m);
                }
                case MIN -> {
                    FloatVector t = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
                    for (int r = 0; r < redN; r++) {
                        t = t.min(FloatVector.fromArray(S, a, off + r * inner, m));
                    }
                    t.intoArray(b, yb + i, m);
                }
                case L1 -> {
                    FloatVector t = FloatVector.broadcast(S, 0f);
                    for (int r = 0; r < redN; r++) {
                        t = t.add(FloatVector.fromArray(S, a, off + r * inner, m).abs());
                    }
                    t.intoArray(b, yb + i, m);
                }
                case SUM_SQUARE -> {
                    FloatVector t = FloatVector.broadcast(S, 0f);
                    for (int r = 0; r < redN; r++) {
                        FloatVector v = FloatVector.fromArray(S, a, off + r * inner, m);
                        t = v.fma(v, t);
                    }
                    t.intoArray(b, yb + i, m);
                }
                case L2 -> {
                    FloatVector t = FloatVector.broadcast(S, 0f);
                    for (int r = 0; r < redN; r++) {
                        FloatVector v = FloatVector.fromArray(S, a, off + r * inner, m);
                        t = v.fma(v, t);
                    }
                    t.sqrt().intoArray(b, yb + i, m);
                }
                case SUM -> {
                    FloatVector t = FloatVector.broadcast(S, 0f);
                    for (int r = 0; r < redN; r++) {
                        t = t.add(FloatVector.fromArray(S, a, off + r * inner, m));
                    }
                    t.intoArray(b, yb + i, m);
                }
                case MEAN -> {
                    FloatVector t = FloatVector.broadcast(S, 0f);
                    for (int r = 0; r < redN; r++) {
                        t = t.add(FloatVector.fromArray(S, a, off + r * inner, m));
                    }
                    t.div(redN).intoArray(b, yb + i, m);
                }
                default -> throw new AssertionError(op);
            }
        }
    }

    private double reduceFloat(float[] a, int base) {
        if (contiguous) {
            switch (op) {
                case SUM, MEAN, SUM_SQUARE, L1, L2, MAX, MIN -> { return finish(vectorRun(a, base)); }
                default -> { }
            }
        }
        return finish(scalarRun(a, base));
    }

    /** The accumulated (not finished) value over a contiguous run, with vector lanes. */
    private double vectorRun(float[] a, int base) {
        int i = 0, ub = S.loopBound(redN), vl = S.length();
        switch (op) {
            case MAX, MIN -> {
                boolean max = op == ReduceOp.MAX;
                float m = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                if (ub > 0) {
                    FloatVector acc = FloatVector.broadcast(S, m);
                    for (; i < ub; i += vl) {
                        FloatVector v = FloatVector.fromArray(S, a, base + i);
                        acc = max ? acc.max(v) : acc.min(v);
                    }
                    m = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
                }
                for (; i < redN; i++) m = max ? Math.max(m, a[base + i]) : Math.min(m, a[base + i]);
                return m;
            }
            default -> {
                FloatVector acc = FloatVector.zero(S);
                switch (op) {
                    case SUM, MEAN -> { for (; i < ub; i += vl) acc = acc.add(FloatVector.fromArray(S, a, base + i)); }
                    case L1 -> { for (; i < ub; i += vl) acc = acc.add(FloatVector.fromArray(S, a, base + i).abs()); }
                    default -> {
                        for (; i < ub; i += vl) {
                            FloatVector v = FloatVector.fromArray(S, a, base + i);
                            acc = v.fma(v, acc);
                        }
                    }
                }
                double s = acc.reduceLanes(VectorOperators.ADD);
                for (; i < redN; i++) s += term(a[base + i]);
                return s;
            }
        }
    }

    private double scalarRun(float[] a, int base) {
        if (op == ReduceOp.LOG_SUM_EXP) {
            double m = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < redN; r++) m = Math.max(m, a[base + redOff[r]]);
            if (Double.isInfinite(m)) return m;
            double s = 0;
            for (int r = 0; r < redN; r++) s += Math.exp(a[base + redOff[r]] - m);
            return m + Math.log(s);
        }
        double acc = identity();
        for (int r = 0; r < redN; r++) acc = step(acc, a[base + redOff[r]]);
        return acc;
    }

    private double reduceReal(Tensor x, int base) {
        if (op == ReduceOp.LOG_SUM_EXP) {
            double m = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < redN; r++) m = Math.max(m, x.getDouble(base + redOff[r]));
            if (Double.isInfinite(m)) return m;
            double s = 0;
            for (int r = 0; r < redN; r++) s += Math.exp(x.getDouble(base + redOff[r]) - m);
            return m + Math.log(s);
        }
        double acc = identity();
        for (int r = 0; r < redN; r++) acc = step(acc, x.getDouble(base + redOff[r]));
        return finish(acc);
    }

    private double identity() {
        return switch (op) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        };
    }

    private double term(double v) {
        return switch (op) {
            case L1 -> Math.abs(v);
            case L2, SUM_SQUARE -> v * v;
            default -> v;
        };
    }

    private double step(double acc, double v) {
        return switch (op) {
            case MAX -> Math.max(acc, v);
            case MIN -> Math.min(acc, v);
            case PROD -> acc * v;
            default -> acc + term(v);
        };
    }

    private double finish(double acc) {
        return switch (op) {
            case MEAN -> acc / redN;
            case L2 -> Math.sqrt(acc);
            case LOG_SUM -> Math.log(acc);
            default -> acc;
        };
    }

    private long reduceLong(Tensor x, int base, boolean unsigned) {
        long acc = switch (op) {
            case PROD -> 1;
            case MAX -> unsigned ? 0 : Long.MIN_VALUE;
            case MIN -> unsigned ? -1L : Long.MAX_VALUE;
            default -> 0;
        };
        for (int r = 0; r < redN; r++) {
            long v = x.getLong(base + redOff[r]);
            acc = switch (op) {
                case MAX -> (unsigned ? Long.compareUnsigned(v, acc) > 0 : v > acc) ? v : acc;
                case MIN -> (unsigned ? Long.compareUnsigned(v, acc) < 0 : v < acc) ? v : acc;
                case PROD -> acc * v;
                case L1 -> acc + Math.abs(v);
                case SUM_SQUARE -> acc + v * v;
                default -> acc + v;
            };
        }
        return op == ReduceOp.MEAN && redN > 0 ? acc / redN : acc;
    }
}
