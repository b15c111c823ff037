package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.kernels.elementwise.ReduceKernel;
import dev.edgeopt.engine.kernels.elementwise.ReduceOp;
import dev.edgeopt.engine.kernels.elementwise.SoftmaxKernel;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.List;

/** Kernels of reductions, Softmax-like ops, ArgMax/ArgMin, CumSum and TopK; see {@link KernelRegistry#standard()}. */
public final class ReduceKernels {
    private ReduceKernels() {}

    private static final List<String> REDUCE = List.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

    public static void register(KernelRegistry r) {
        r.register("Softmax", kc -> softmax(kc, SoftmaxKernel.Kind.SOFTMAX));
        r.register("LogSoftmax", kc -> softmax(kc, SoftmaxKernel.Kind.LOG_SOFTMAX));
        r.register("Hardmax", kc -> softmax(kc, SoftmaxKernel.Kind.HARDMAX));
        for (String op : REDUCE) r.register(op, ReduceKernels::reduce);
        r.register("ArgMax", kc -> arg(kc, true));
        r.register("ArgMin", kc -> arg(kc, false));
        r.register("CumSum", ReduceKernels::cumSum);
        r.register("TopK", ReduceKernels::topK);
    }

    private static int prod(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }

    static Kernel softmax(KernelContext kc, SoftmaxKernel.Kind kind) {
        DType t = kc.inDtype(0);
        if (!t.isFloating()) throw kc.fail(kc.node().opType() + " needs a floating-point input, got " + t);
        int[] s = kc.inShape(0);
        int rank = Math.max(1, s.length);
        int[] shape = s.length == 0 ? new int[] {1} : s;
        int outer, n, inner;
        if (kc.opset() >= 13) {
            int axis = kc.axis(kc.attrInt("axis", -1), rank);
            outer = prod(shape, 0, axis);
            n = shape[axis];
            inner = prod(shape, axis + 1, shape.length);
        } else {
            // Before opset 13 the input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)].
            long a = kc.attrInt("axis", 1);
            int axis = (int) (a < 0 ? a + rank : a);
            if (axis < 0 || axis > rank) throw kc.fail("axis " + a + " is out of range for rank " + rank);
            outer = prod(shape, 0, axis);
            n = prod(shape, axis, shape.length);
            inner = 1;
        }
        return new SoftmaxKernel(kc.pool(), kind, t, outer, n, inner);
    }

    static Kernel reduce(KernelContext kc) {
        String name = kc.node().opType();
        ReduceOp op = ReduceOp.ofOnnx(name);
        DType t = kc.inDtype(0);
        if (t == DType.STRING || t == DType.BOOL) throw kc.fail(name + " does not support " + t);
        if (!t.isFloating() && !op.integerOk()) throw kc.fail(name + " needs a floating-point input, got " + t);
        int[] s = kc.inShape(0);
        boolean fromInput = name.equals("ReduceSum") ? kc.opset() >= 13 : kc.opset() >= 18;
        long[] axes;
        if (fromInput && kc.hasInput(1)) {
            Tensor a = kc.constant(1);
            if (a == null) throw kc.fail("axes must be known when the kernel is prepared");
            axes = a.toLongArray();
        } else {
            axes = fromInput ? new long[0] : kc.attrInts("axes", new long[0]);
        }
        boolean[] reduced = new boolean[s.length];
        if (axes.length == 0) {
            if (kc.attrInt("noop_with_empty_axes", 0) == 0) java.util.Arrays.fill(reduced, true);
        } else {
            for (long a : axes) reduced[kc.axis(a, s.length)] = true;
        }
        return new ReduceKernel(kc.pool(), op, t, s, reduced);
    }

    static Kernel arg(KernelContext kc, boolean max) {
        DType t = kc.inDtype(0);
        if (t == DType.STRING || t == DType.BOOL) throw kc.fail(kc.node().opType() + " does not support " + t);
        int[] s = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", 0), s.length);
        boolean last = kc.attrInt("select_last_index", 0) != 0;
        int outer = prod(s, 0, axis), n = s[axis], inner = prod(s, axis + 1, s.length);
        boolean wide = t == DType.INT64 || t == DType.UINT64;
        boolean unsigned = t == DType.UINT64;
        return (in, out) -> {
            Tensor x = in[0];
            long[] y = out[0].longs();
            int yo = out[0].offset();
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i, best = 0;
                    if (wide) {
                        long m = x.getLong(base);
                        for (int k = 1; k < n; k++) {
                            long v = x.getLong(base + k * inner);
                            int c = unsigned ? Long.compareUnsigned(v, m) : Long.compare(v, m);
                            if (!max) c = -c;
                            if (c > 0 || (last && c == 0)) { m = v; best = k; }
                        }
                    } else {
                        double m = x.getDouble(base);
                        for (int k = 1; k < n; k++) {
                            double v = x.getDouble(base + k * inner);
                            boolean better = max ? v > m : v < m;
                            if (better || (last && v == m)) { m = v; best = k; }
                        }
                    }
                    y[yo + o * inner + i] = best;
                }
            }
        };
    }

    static Kernel cumSum(KernelContext kc) {
        DType t = kc.inDtype(0);
        if (t == DType.STRING || t == DType.BOOL || t == DType.FLOAT16 || t == DType.BFLOAT16) {
            throw kc.fail("CumSum does not support " + t);
        }
        boolean exclusive = kc.attrInt("exclusive", 0) != 0, reverse = kc.attrInt("reverse", 0) != 0;
        int[] s = kc.inShape(0);
        int rank = s.length;
        return (in, out) -> {
            // The axis is an input tensor; reading it per run keeps a non-constant axis correct.
            long a = in[1].getLong(0);
            if (a < -rank || a >= rank) throw kc.fail("axis " + a + " is out of range for rank " + rank);
            int axis = (int) (a < 0 ? a + rank : a);
            int outer = prod(s, 0, axis), n = s[axis], inner = prod(s, axis + 1, rank);
            Tensor x = in[0], y = out[0];
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    if (t == DType.FLOAT) {
                        float[] xa = x.floats(), ya = y.floats();
                        float acc = 0;
                        for (int j = 0; j < n; j++) {
                            int k = base + (reverse ? n - 1 - j : j) * inner;
                            float v = xa[x.offset() + k];
                            if (exclusive) { ya[y.offset() + k] = acc; acc += v; } else { acc += v; ya[y.offset() + k] = acc; }
                        }
                    } else if (t == DType.DOUBLE) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) {
                            int k = base + (reverse ? n - 1 - j : j) * inner;
                            double v = x.getDouble(k);
                            if (exclusive) { y.setDouble(k, acc); acc += v; } else { acc += v; y.setDouble(k, acc); }
                        }
                    } else {
                        long acc = 0;
                        for (int j = 0; j < n; j++) {
                            int k = base + (reverse ? n - 1 - j : j) * inner;
                            long v = x.getLong(k);
                            if (exclusive) { y.setLong(k, acc); acc += v; } else { acc += v; y.setLong(k, acc); }
                        }
                    }
                }
            }
        };
    }

    /**
     * TopK: per line along the axis, a stable merge sort of indices (larger first when
     * {@code largest}, ties by lower index as ONNX requires), then the first k. Index buffers come
     * from scratch.
     */
    static Kernel topK(KernelContext kc) {
        DType t = kc.inDtype(0);
        if (t == DType.STRING || t == DType.BOOL) throw kc.fail("TopK does not support " + t);
        int[] s = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", -1), s.length);
        boolean largest = kc.attrInt("largest", 1) != 0;
        int k = kc.outShape(0)[axis];
        int outer = prod(s, 0, axis), n = s[axis], inner = prod(s, axis + 1, s.length);
        boolean wide = t == DType.INT64 || t == DType.UINT64;
        if (t == DType.UINT64) throw kc.fail("TopK does not support uint64");
        Scratch.Ref idxRef = kc.scratch(DType.INT32, n), tmpRef = kc.scratch(DType.INT32, n);
        Scratch.Ref keyRef = kc.scratch(DType.DOUBLE, wide ? 0 : n);
        Scratch.Ref lkeyRef = kc.scratch(DType.INT64, wide ? n : 0);
        return (in, out) -> {
            Tensor x = in[0], vals = out[0];
            long[] idxOut = out[1].longs();
            int io = out[1].offset();
            int[] idx = idxRef.ints(), tmp = tmpRef.ints();
            int ib = idxRef.offset(), tb = tmpRef.offset();
            double[] key = wide ? null : (double[]) keyRef.array();
            long[] lkey = wide ? (long[]) lkeyRef.array() : null;
            int kb = wide ? lkeyRef.offset() : keyRef.offset();
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    for (int j = 0; j < n; j++) {
                        idx[ib + j] = j;
                        if (wide) lkey[kb + j] = x.getLong(base + j * inner);
                        else key[kb + j] = x.getDouble(base + j * inner);
                    }
                    mergeSort(idx, ib, tmp, tb, n, key, lkey, kb, largest);
                    for (int j = 0; j < k; j++) {
                        int src = idx[ib + j];
                        int dst = o * k * inner + j * inner + i;
                        if (wide) vals.setLong(dst, lkey[kb + src]);
                        else vals.setDouble(dst, key[kb + src]);
                        idxOut[io + dst] = src;
                    }
                }
            }
        };
    }

    /** Bottom-up stable merge sort of {@code idx[ib, ib+n)} by key (descending when {@code desc}). */
    static void mergeSort(int[] idx, int ib, int[] tmp, int tb, int n, double[] key, long[] lkey, int kb, boolean desc) {
        int[] src = idx, dst = tmp;
        int so = ib, dOff = tb;
        for (int w = 1; w < n; w *= 2) {
            for (int lo = 0; lo < n; lo += 2 * w) {
                int mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n);
                int a = lo, b = mid, p = lo;
                while (a < mid && b < hi) {
                    int ia = src[so + a], ibb = src[so + b];
                    // Take from the right run only when strictly before: keeps equal keys in index order.
                    boolean right = before(ibb, ia, key, lkey, kb, desc);
                    dst[dOff + p++] = right ? src[so + b++] : src[so + a++];
                }
                while (a < mid) dst[dOff + p++] = src[so + a++];
                while (b < hi) dst[dOff + p++] = src[so + b++];
            }
            int[] ta = src; src = dst; dst = ta;
            int to = so; so = dOff; dOff = to;
        }
        if (src != idx || so != ib) System.arraycopy(src, so, idx, ib, n);
    }

    private static boolean before(int i, int j, double[] key, long[] lkey, int kb, boolean desc) {
        if (lkey != null) {
            long a = lkey[kb + i], b = lkey[kb + j];
            return desc ? a > b : a < b;
        }
        double a = key[kb + i], b = key[kb + j];
        return desc ? a > b : a < b;
    }
}
