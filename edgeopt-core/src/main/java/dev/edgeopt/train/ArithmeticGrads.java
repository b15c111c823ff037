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
        /**
         * An equal-shape Add or Sub runs over the pool in contiguous ranges (residual blocks'
         * activations are MBs; serial, they did not shrink with threads), and clears input
         * gradients it is handed the first write of (see {@link TrainOp#acceptFirstWrite}).
         */
        private final boolean ranged;
        private boolean clearA, clearB;
        private final Parallel.Loop forwardLoop, backwardLoop;
        private Tensor[] rin, rout, rgOut, rgIn;

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
            ranged = ma == null && mb == null && (kind == Kind.ADD || kind == Kind.SUB);
            forwardLoop = new Parallel.Loop(ctx.pool(), this::forwardRange);
            backwardLoop = new Parallel.Loop(ctx.pool(), this::backwardRange);
            ctx.setOutput(0, os);
        }

        @Override public boolean acceptFirstWrite(int input) {
            if (!ranged) return false;
            if (input == 0) clearA = true;
            else clearB = true;
            return true;
        }

        private void forwardRange(int t, int s, int e) {
            Tensor[] in = rin;
            float[] y = rout[0].floats();
            int yo = rout[0].offset() + s;
            System.arraycopy(in[0].floats(), in[0].offset() + s, y, yo, e - s);
            Blas.axpy(e - s, kind == Kind.ADD ? 1f : -1f, in[1].floats(), in[1].offset() + s, y, yo);
            if (relu) Blas.reluInPlace(e - s, y, yo);
        }

        private void backwardRange(int t, int s, int e) {
            float[] gy = rgOut[0].floats(), y = rout[0].floats();
            int go = rgOut[0].offset() + s, yo = rout[0].offset() + s;
            for (int i = 0; i < 2; i++) {
                Tensor g = rgIn[i];
                if (g == null) continue;
                float[] ga = g.floats();
                int o = g.offset() + s;
                if (i == 0 ? clearA : clearB) Arrays.fill(ga, o, o + e - s, 0f);
                if (relu) Blas.maskedAdd(e - s, gy, go, y, yo, ga, o);
                else Blas.axpy(e - s, i == 1 && kind == Kind.SUB ? -1f : 1f, gy, go, ga, o);
            }
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
            if (ranged) {
                rin = in;
                rout = out;
                forwardLoop.run(len);
                rin = rout = null;
                return;
            }
            if (ma == null && mb == null) {
                switch (kind) {
                    case MUL -> { for (int i = 0; i < len; i++) y[yo + i] = a[ao + i] * b[bo + i]; }
                    case DIV -> { for (int i = 0; i < len; i++) y[yo + i] = a[ao + i] / b[bo + i]; }
                    default -> throw new IllegalStateException("Add and Sub of equal shapes are ranged");
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
            if (ranged) {
                rout = out;
                rgOut = gOut;
                rgIn = gIn;
                backwardLoop.run(len);
                rout = rgOut = rgIn = null;
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
