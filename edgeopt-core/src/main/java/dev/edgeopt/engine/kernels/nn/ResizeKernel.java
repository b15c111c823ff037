package dev.edgeopt.engine.kernels.nn;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.MUL;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ops.ResizeSpec;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Resize and Upsample, one axis at a time. Nearest, n-linear and cubic interpolation are products
 * of 1-D filters, so resizing axis by axis computes what ONNX's n-dimensional reference computes
 * (it, too, interpolates recursively one axis at a time). Per resized axis the taps (input index
 * and weight per output index) are tabulated at creation; taps outside the input are clamped to
 * the edge (or dropped and the weights renormalized with exclude_outside). tf_crop_and_resize
 * elements whose coordinate leaves the input on any axis take extrapolation_value in a last pass.
 */
public final class ResizeKernel implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int rank;
    private final int[] inShape, outShape;
    private final int[] passes; // resized axes in order
    private final int[][] taps; // per axis: out * t input indices
    private final float[][] weights;
    private final int[] tapCount;
    private final boolean[][] outside; // per axis, per output index; null when none
    private final boolean anyOutside;
    private final float extrapolation;
    private final Scratch.Ref bufA, bufB;
    private final int[] counter, cur;
    private final DType dtype;
    private final Scratch.Ref xWide, yWide;
    private final ThreadPool pool;
    private final IntConsumer passBody = this::passTask;
    // The current pass, set by pass() for the parallel body.
    private int pAxis, pOuter, pInner, pInW, pxo, pyo, pTasks;
    private float[] px, py;

    public ResizeKernel(KernelContext kc) {
        dtype = kc.inDtype(0);
        boolean narrowType = dtype == DType.INT8 || dtype == DType.UINT8;
        if (dtype != DType.FLOAT && !narrowType) throw kc.fail("supports float32 (and int8/uint8 with mode nearest), got " + dtype);
        inShape = kc.inShape(0);
        outShape = kc.outShape(0);
        rank = inShape.length;
        long[] in = new long[rank];
        for (int i = 0; i < rank; i++) in[i] = inShape[i];
        boolean[] present = new boolean[kc.inputCount()];
        Tensor[] values = new Tensor[kc.inputCount()];
        for (int i = 1; i < present.length; i++) {
            present[i] = kc.hasInput(i);
            values[i] = kc.constant(i);
            if (present[i] && values[i] == null) {
                // Non-constant scales/sizes/roi: the plan is built for concrete shapes, so only the
                // output shape is known here; roi values would be needed too.
                throw kc.fail("scales, sizes and roi must be constants (input " + i + " is computed at run time)");
            }
        }
        ResizeSpec spec = ResizeSpec.of(kc.node(), kc.opset(), in, values, present);
        for (int i = 0; i < rank; i++) {
            if (spec.out[i] != outShape[i]) throw kc.fail("output shape " + Arrays.toString(outShape) + " disagrees with the resize spec");
        }
        extrapolation = spec.extrapolation;
        if (narrowType && spec.mode != ResizeSpec.Mode.NEAREST) throw kc.fail(dtype + " input is supported with mode nearest only");
        // int8/uint8 (nearest only) widen to float in scratch: a copy of small integers is exact.
        xWide = narrowType ? kc.scratch(DType.FLOAT, Tensor.numel(inShape)) : null;
        yWide = narrowType ? kc.scratch(DType.FLOAT, Tensor.numel(outShape)) : null;
        int[] p = new int[rank];
        int np = 0;
        taps = new int[rank][];
        weights = new float[rank][];
        tapCount = new int[rank];
        outside = new boolean[rank][];
        boolean any = false;
        for (int a = 0; a < rank; a++) {
            if (spec.isIdentity(a)) continue;
            p[np++] = a;
            any |= tabulate(spec, a);
        }
        anyOutside = any;
        passes = Arrays.copyOf(p, np);
        // Intermediate buffers: shapes after each pass but the last.
        int[] cur = inShape.clone();
        int maxSize = 0;
        for (int i = 0; i + 1 < passes.length; i++) {
            cur[passes[i]] = outShape[passes[i]];
            maxSize = Math.max(maxSize, Tensor.numel(cur));
        }
        bufA = passes.length > 1 ? kc.scratch(DType.FLOAT, maxSize) : null;
        bufB = passes.length > 2 ? kc.scratch(DType.FLOAT, maxSize) : null;
        counter = new int[rank];
        this.cur = new int[rank];
        pool = kc.pool();
    }

    private boolean tabulate(ResizeSpec spec, int a) {
        int inW = inShape[a], outW = outShape[a];
        double scale = spec.scales[a];
        int t;
        double s = Math.min(scale, 1.0);
        boolean aa = spec.antialias && spec.mode != ResizeSpec.Mode.NEAREST;
        int start;
        switch (spec.mode) {
            case NEAREST -> { t = 1; start = 0; }
            case LINEAR -> {
                start = aa ? (int) Math.floor(-1 / s) + 1 : 0;
                t = 2 - 2 * start;
            }
            default -> {
                start = aa ? (int) Math.floor(-2 / s) + 1 : -1;
                t = 2 - 2 * start;
            }
        }
        int[] idx = new int[outW * t];
        float[] w = new float[outW * t];
        boolean[] outs = new boolean[outW];
        boolean any = false;
        double[] c = new double[t];
        for (int j = 0; j < outW; j++) {
            double x = spec.sourceCoordinate(a, j);
            if (Double.isNaN(x)) {
                outs[j] = any = true;
                continue; // taps stay (0, weight 0)
            }
            if (spec.mode == ResizeSpec.Mode.NEAREST) {
                idx[j] = clamp(nearest(spec.nearestMode, x, scale), inW);
                w[j] = 1f;
                continue;
            }
            double fl = Math.floor(x), ratio = x - fl;
            double sum = 0;
            for (int k = 0; k < t; k++) {
                double d = start + k - ratio;
                double v;
                if (spec.mode == ResizeSpec.Mode.LINEAR) {
                    v = aa ? Math.max(0, 1 - Math.abs(d * s)) : (k == 0 ? 1 - ratio : ratio);
                } else {
                    v = cubic(aa ? d * s : d, spec.cubicA);
                }
                long src = (long) fl + start + k;
                if (spec.excludeOutside && (src < 0 || src >= inW)) v = 0;
                c[k] = v;
                sum += v;
            }
            boolean normalize = aa || spec.excludeOutside;
            for (int k = 0; k < t; k++) {
                idx[k * outW + j] = clamp((long) fl + start + k, inW);
                w[k * outW + j] = (float) (normalize ? c[k] / sum : c[k]);
            }
        }
        taps[a] = idx;
        weights[a] = w;
        tapCount[a] = t;
        outside[a] = any ? outs : null;
        return any;
    }

    private static int clamp(long v, int n) { return (int) Math.max(0, Math.min(n - 1, v)); }

    private static long nearest(String mode, double x, double scale) {
        return switch (mode) {
            case "simple" -> scale < 1 ? (long) Math.ceil(x) : (long) x;
            case "round_prefer_ceil" -> x - Math.floor(x) == 0.5 ? (long) Math.ceil(x) : Math.round(x);
            case "floor" -> (long) Math.floor(x);
            case "ceil" -> (long) Math.ceil(x);
            default -> x - Math.floor(x) == 0.5 ? (long) Math.floor(x) : Math.round(x);
        };
    }

    /** Keys' cubic convolution kernel with parameter A at distance d. */
    private static double cubic(double d, double a) {
        double x = Math.abs(d);
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0], y = out[0];
        if (passes.length == 0 && !anyOutside) {
            x.copyTo(y);
            return;
        }
        float[] src;
        int so;
        if (xWide != null) {
            src = xWide.floats();
            so = xWide.offset();
            byte[] b = x.bytes();
            int n = x.size(), bo = x.offset();
            if (dtype == DType.UINT8) for (int i = 0; i < n; i++) src[so + i] = b[bo + i] & 0xFF;
            else for (int i = 0; i < n; i++) src[so + i] = b[bo + i];
        } else {
            src = x.floats();
            so = x.offset();
        }
        float[] fin = yWide != null ? yWide.floats() : y.floats();
        int fo = yWide != null ? yWide.offset() : y.offset();
        if (passes.length == 0) System.arraycopy(src, so, fin, fo, y.size());
        System.arraycopy(inShape, 0, cur, 0, rank);
        for (int i = 0; i < passes.length; i++) {
            int a = passes[i];
            float[] dst;
            int dof;
            if (i == passes.length - 1) {
                dst = fin;
                dof = fo;
            } else {
                Scratch.Ref r = (i % 2 == 0) ? bufA : bufB;
                dst = r.floats();
                dof = r.offset();
            }
            pass(a, cur, src, so, dst, dof);
            cur[a] = outShape[a];
            src = dst;
            so = dof;
        }
        if (anyOutside) extrapolate(fin, fo, y.size());
        if (yWide != null) {
            byte[] b = y.bytes();
            int n = y.size(), bo = y.offset();
            for (int i = 0; i < n; i++) b[bo + i] = (byte) (int) fin[fo + i];
        }
    }

    private void pass(int a, int[] cur, float[] x, int xo, float[] y, int yo) {
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= cur[i];
        for (int i = a + 1; i < rank; i++) inner *= cur[i];
        pAxis = a;
        pOuter = outer;
        pInner = inner;
        pInW = cur[a];
        px = x;
        pxo = xo;
        py = y;
        pyo = yo;
        long work = (long) outer * outShape[a] * inner * tapCount[a];
        int tasks = work < 65_536 ? 1 : Math.min(outer, pool.threads() * 4);
        pTasks = tasks;
        pool.parallelFor(tasks, passBody);
        px = py = null;
    }

    /** Taps are stored tap-major ({@code [k * outW + j]}), so a run of outputs reads them as vectors. */
    private void passTask(int task) {
        final int a = pAxis, inner = pInner, inW = pInW, outW = outShape[a], t = tapCount[a];
        final int[] idx = taps[a];
        final float[] w = weights[a], x = px, y = py;
        final int from = (int) ((long) pOuter * task / pTasks), to = (int) ((long) pOuter * (task + 1) / pTasks);
        final int lanes = S.length();
        for (int o = from; o < to; o++) {
            int xb = pxo + o * inW * inner;
            int yrow = pyo + o * outW * inner;
            if (inner == 1) {
                int j = 0;
                for (; j + lanes <= outW; j += lanes) {
                    FloatVector acc = FloatVector.fromArray(S, w, j).lanewise(MUL, FloatVector.fromArray(S, x, xb, idx, j));
                    for (int k = 1; k < t; k++) {
                        acc = FloatVector.fromArray(S, x, xb, idx, k * outW + j).lanewise(FMA, FloatVector.fromArray(S, w, k * outW + j), acc);
                    }
                    acc.lanewise(ADD, FloatVector.broadcast(S, -0f)).intoArray(y, yrow + j); // + -0: see Sgemm on stores
                }
                for (; j < outW; j++) {
                    float acc = 0;
                    for (int k = 0; k < t; k++) acc += w[k * outW + j] * x[xb + idx[k * outW + j]];
                    y[yrow + j] = acc;
                }
                continue;
            }
            for (int j = 0; j < outW; j++) {
                int yb = yrow + j * inner;
                Arrays.fill(y, yb, yb + inner, 0f);
                for (int k = 0; k < t; k++) {
                    float wk = w[k * outW + j];
                    if (wk == 0f) continue;
                    int sb = xb + idx[k * outW + j] * inner;
                    int i = 0;
                    if (inner >= lanes) {
                        FloatVector vw = FloatVector.broadcast(S, wk);
                        for (int bound = S.loopBound(inner); i < bound; i += lanes) {
                            FloatVector.fromArray(S, x, sb + i).lanewise(FMA, vw, FloatVector.fromArray(S, y, yb + i)).intoArray(y, yb + i);
                        }
                    }
                    for (; i < inner; i++) y[yb + i] += wk * x[sb + i];
                }
            }
        }
    }

    private void extrapolate(float[] ya, int yo, int n) {
        Arrays.fill(counter, 0);
        for (int e = 0; e < n; e++) {
            boolean o = false;
            for (int a = 0; a < rank && !o; a++) o = outside[a] != null && outside[a][counter[a]];
            if (o) ya[yo + e] = extrapolation;
            for (int a = rank - 1; a >= 0; a--) {
                if (++counter[a] < outShape[a]) break;
                counter[a] = 0;
            }
        }
    }
}
