package dev.edgeopt.train;

import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Add, Sub, Mul and Div with multidirectional broadcasting. Equal shapes (residual additions) take
 * a straight loop; otherwise each output element maps to its input elements through index maps
 * built once, and gradients of broadcast inputs are summed back through the same maps.
 */
final class ArithmeticGrads {
    private ArithmeticGrads() {}

    enum Kind { ADD, SUB, MUL, DIV }

    static void register(GradRules r) {
        r.register("Add", ctx -> new Binary(ctx, Kind.ADD));
        r.register("Sub", ctx -> new Binary(ctx, Kind.SUB));
        r.register("Mul", ctx -> new Binary(ctx, Kind.MUL));
        r.register("Div", ctx -> new Binary(ctx, Kind.DIV));
    }

    static final class Binary extends TrainOp {
        private final Kind kind;
        private final int len;
        private final int[] ma, mb; // null when the input has the output's shape
        /** Set by the tape when a Relu that alone reads this Add's output is folded in (residual blocks). */
        private boolean relu;

        Binary(TrainContext ctx, Kind kind) {
            ctx.requireFloat(0, 1);
            this.kind = kind;
            int[] a = ctx.inShape(0), b = ctx.inShape(1), os;
            try {
                os = Broadcast.shape(a, b);
            } catch (IllegalArgumentException e) {
                throw ctx.fail("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            len = Tensor.numel(os);
            ma = Arrays.equals(a, os) ? null : Broadcast.indexMap(a, os);
            mb = Arrays.equals(b, os) ? null : Broadcast.indexMap(b, os);
            ctx.setOutput(0, os);
        }

        /** Whether a following Relu can be folded in: an Add of equal shapes. */
        boolean canFoldRelu() { return kind == Kind.ADD && ma == null && mb == null; }

        /** Outputs max(0, a + b); the backward pass masks the gradient where the output is 0. */
        void fuseRelu() {
            if (!canFoldRelu()) throw new IllegalStateException("only an equal-shape Add folds a Relu");
            relu = true;
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] a = in[0].floats(), b = in[1].floats(), y = out[0].floats();
            int ao = in[0].offset(), bo = in[1].offset(), yo = out[0].offset();
            if (relu) {
                System.arraycopy(a, ao, y, yo, len);
                Blas.axpy(len, 1f, b, bo, y, yo);
                Blas.reluInPlace(len, y, yo);
                return;
            }
            if (ma == null && mb == null) {
                switch (kind) {
                    case ADD -> { System.arraycopy(a, ao, y, yo, len); Blas.axpy(len, 1f, b, bo, y, yo); }
                    case SUB -> { System.arraycopy(a, ao, y, yo, len); Blas.axpy(len, -1f, b, bo, y, yo); }
                    case MUL -> { for (int i = 0; i < len; i++) y[yo + i] = a[ao + i] * b[bo + i]; }
                    case DIV -> { for (int i = 0; i < len; i++) y[yo + i] = a[ao + i] / b[bo + i]; }
                }
                return;
            }
            for (int i = 0; i < len; i++) {
                float u = a[ao + (ma == null ? i : ma[i])], v = b[bo + (mb == null ? i : mb[i])];
                y[yo + i] = switch (kind) {
                    case ADD -> u + v;
                    case SUB -> u - v;
                    case MUL -> u * v;
                    case DIV -> u / v;
                };
            }
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            float[] a = in[0].floats(), b = in[1].floats(), gy = gOut[0].floats();
            int ao = in[0].offset(), bo = in[1].offset(), go = gOut[0].offset();
            Tensor gA = gIn[0], gB = gIn[1];
            if (relu) {
                float[] y = out[0].floats();
                int yo = out[0].offset();
                if (gA != null) Blas.maskedAdd(len, gy, go, y, yo, gA.floats(), gA.offset());
                if (gB != null) Blas.maskedAdd(len, gy, go, y, yo, gB.floats(), gB.offset());
                return;
            }
            if (gA != null) {
                float[] ga = gA.floats();
                int gao = gA.offset();
                if (ma == null && (kind == Kind.ADD || kind == Kind.SUB)) {
                    Blas.axpy(len, 1f, gy, go, ga, gao);
                } else {
                    for (int i = 0; i < len; i++) {
                        float g = gy[go + i];
                        float d = switch (kind) {
                            case ADD, SUB -> g;
                            case MUL -> g * b[bo + (mb == null ? i : mb[i])];
                            case DIV -> g / b[bo + (mb == null ? i : mb[i])];
                        };
                        ga[gao + (ma == null ? i : ma[i])] += d;
                    }
                }
            }
            if (gB != null) {
                float[] gb = gB.floats();
                int gbo = gB.offset();
                if (mb == null && (kind == Kind.ADD || kind == Kind.SUB)) {
                    Blas.axpy(len, kind == Kind.ADD ? 1f : -1f, gy, go, gb, gbo);
                } else {
                    for (int i = 0; i < len; i++) {
                        float g = gy[go + i];
                        float v = b[bo + (mb == null ? i : mb[i])];
                        float d = switch (kind) {
                            case ADD -> g;
                            case SUB -> -g;
                            case MUL -> g * a[ao + (ma == null ? i : ma[i])];
                            case DIV -> -g * a[ao + (ma == null ? i : ma[i])] / (v * v);
                        };
                        gb[gbo + (mb == null ? i : mb[i])] += d;
                    }
                }
            }
        }
    }
}
