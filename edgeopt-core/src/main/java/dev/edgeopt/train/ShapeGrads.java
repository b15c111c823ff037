package dev.edgeopt.train;

import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/** Concat, Reshape, Flatten and Transpose: data movement whose gradient is the inverse movement. */
final class ShapeGrads {
    private ShapeGrads() {}

    static void register(GradRules r) {
        r.register("Concat", Concat::new);
        r.register("Reshape", ctx -> new Copy(ctx, reshape(ctx)));
        r.register("Flatten", ctx -> new Copy(ctx, flatten(ctx)));
        r.register("Transpose", Transpose::new);
    }

    static int[] reshape(TrainContext ctx) {
        int[] xs = ctx.inShape(0);
        Tensor st = ctx.constant(1);
        if (st == null) throw ctx.fail("training needs the target shape as a constant");
        long[] want = st.toLongArray();
        boolean allowZero = ctx.attrInt("allowzero", 0) != 0;
        int[] os = new int[want.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < want.length; i++) {
            long d = want[i];
            if (d == 0 && !allowZero) {
                if (i >= xs.length) throw ctx.fail("shape " + Arrays.toString(want) + " copies dim " + i + " that input " + Arrays.toString(xs) + " lacks");
                d = xs[i];
            }
            if (d == -1) {
                if (infer >= 0) throw ctx.fail("shape " + Arrays.toString(want) + " has two -1 entries");
                infer = i;
                continue;
            }
            if (d < 0) throw ctx.fail("shape " + Arrays.toString(want) + " has a negative entry");
            os[i] = (int) d;
            known *= d;
        }
        int total = Tensor.numel(xs);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) throw ctx.fail("cannot reshape " + Arrays.toString(xs) + " to " + Arrays.toString(want));
            os[infer] = (int) (total / known);
        } else if (known != total) {
            throw ctx.fail("cannot reshape " + Arrays.toString(xs) + " to " + Arrays.toString(want));
        }
        return os;
    }

    static int[] flatten(TrainContext ctx) {
        int[] xs = ctx.inShape(0);
        long ax = ctx.attrInt("axis", 1);
        int a = (int) (ax < 0 ? ax + xs.length : ax);
        if (a < 0 || a > xs.length) throw ctx.fail("axis " + ax + " is out of range for rank " + xs.length);
        int outer = 1;
        for (int i = 0; i < a; i++) outer *= xs[i];
        return new int[] {outer, Tensor.numel(xs) / Math.max(1, outer)};
    }

    /** Reshape and Flatten: the same elements in the same order under a new shape. */
    static final class Copy extends TrainOp {
        private final int len;

        Copy(TrainContext ctx, int[] outShape) {
            ctx.requireFloat(0);
            len = Tensor.numel(outShape);
            ctx.setOutput(0, outShape);
        }

        @Override public boolean differentiable(int input) { return input == 0; }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            System.arraycopy(in[0].floats(), in[0].offset(), out[0].floats(), out[0].offset(), len);
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] != null) Blas.axpy(len, 1f, gOut[0].floats(), gOut[0].offset(), gIn[0].floats(), gIn[0].offset());
        }
    }

    static final class Concat extends TrainOp {
        private final int outer, outInner;
        private final int[] inner; // elements per outer index, per input

        Concat(TrainContext ctx) {
            int k = ctx.inputCount();
            int[] first = ctx.inShape(0);
            int axis = ctx.axis(ctx.attrInt("axis", 0), first.length);
            int[] os = first.clone();
            os[axis] = 0;
            inner = new int[k];
            int after = 1;
            for (int d = axis + 1; d < first.length; d++) after *= first[d];
            for (int i = 0; i < k; i++) {
                ctx.requireFloat(i);
                int[] s = ctx.inShape(i);
                for (int d = 0; d < s.length; d++) {
                    if (s.length != first.length || (d != axis && s[d] != first[d])) {
                        throw ctx.fail("input " + i + " " + Arrays.toString(s) + " does not concatenate with " + Arrays.toString(first) + " on axis " + axis);
                    }
                }
                os[axis] += s[axis];
                inner[i] = s[axis] * after;
            }
            int o = 1;
            for (int d = 0; d < axis; d++) o *= first[d];
            outer = o;
            outInner = os[axis] * after;
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] y = out[0].floats();
            int off = 0;
            for (int i = 0; i < in.length; i++) {
                float[] x = in[i].floats();
                for (int o = 0; o < outer; o++) System.arraycopy(x, in[i].offset() + o * inner[i], y, out[0].offset() + o * outInner + off, inner[i]);
                off += inner[i];
            }
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            float[] gy = gOut[0].floats();
            int off = 0;
            for (int i = 0; i < in.length; i++) {
                if (gIn[i] != null) {
                    for (int o = 0; o < outer; o++) {
                        Blas.axpy(inner[i], 1f, gy, gOut[0].offset() + o * outInner + off, gIn[i].floats(), gIn[i].offset() + o * inner[i]);
                    }
                }
                off += inner[i];
            }
        }
    }

    static final class Transpose extends TrainOp {
        private final int[] srcIndex; // output element i reads input element srcIndex[i]

        Transpose(TrainContext ctx) {
            ctx.requireFloat(0);
            int[] xs = ctx.inShape(0);
            int r = xs.length;
            long[] perm = ctx.attrInts("perm", null);
            int[] p = new int[r];
            for (int i = 0; i < r; i++) p[i] = perm == null ? r - 1 - i : ctx.axis(perm[i], r);
            boolean[] seen = new boolean[r];
            for (int v : p) {
                if (seen[v]) throw ctx.fail("perm " + Arrays.toString(perm) + " is not a permutation");
                seen[v] = true;
            }
            int[] os = new int[r];
            for (int i = 0; i < r; i++) os[i] = xs[p[i]];
            int[] is = Tensor.strides(xs);
            int n = Tensor.numel(xs);
            srcIndex = new int[n];
            int[] idx = new int[r];
            for (int i = 0; i < n; i++) {
                int src = 0;
                for (int d = 0; d < r; d++) src += idx[d] * is[p[d]];
                srcIndex[i] = src;
                for (int d = r - 1; d >= 0; d--) {
                    if (++idx[d] < os[d]) break;
                    idx[d] = 0;
                }
            }
            ctx.setOutput(0, os);
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            for (int i = 0; i < srcIndex.length; i++) y[yo + i] = x[xo + srcIndex[i]];
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] == null) return;
            float[] gy = gOut[0].floats(), gx = gIn[0].floats();
            int go = gOut[0].offset(), gxo = gIn[0].offset();
            for (int i = 0; i < srcIndex.length; i++) gx[gxo + srcIndex[i]] += gy[go + i];
        }
    }
}
