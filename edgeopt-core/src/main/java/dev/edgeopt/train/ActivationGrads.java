package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pointwise activations. The forward values come from the engine's {@link Activation} (the same
 * code inference and fused epilogues use); each op's derivative is its own rule here.
 */
final class ActivationGrads {
    private ActivationGrads() {}

    static void register(GradRules r) {
        for (Activation a : Activation.values()) {
            if (a != Activation.NONE) r.register(a.opName(), ctx -> new Pointwise(ctx, a));
        }
    }

    private static final VectorSpecies<Float> S = Blas.S;
    private static final int L = Blas.L;

    static final class Pointwise extends TrainOp {
        private final Activation act;
        private final float p0, p1;
        private final int len;
        private final ThreadPool pool;

        Pointwise(TrainContext ctx, Activation act) {
            ctx.requireFloat(0);
            this.act = act;
            float[] d = act.defaults();
            float a = d.length > 0 ? d[0] : 0, b = d.length > 1 ? d[1] : 0;
            switch (act) {
                case LEAKY_RELU -> a = ctx.attrFloat("alpha", a);
                case HARD_SIGMOID -> { a = ctx.attrFloat("alpha", a); b = ctx.attrFloat("beta", b); }
                case CLIP -> {
                    a = ctx.attrFloat("min", a);
                    b = ctx.attrFloat("max", b);
                    for (int i = 1; i <= 2; i++) {
                        if (!ctx.hasInput(i)) continue;
                        Tensor t = ctx.constant(i);
                        if (t == null) throw ctx.fail("training needs Clip bounds as constants");
                        if (i == 1) a = t.getFloat(0); else b = t.getFloat(0);
                    }
                }
                default -> { }
            }
            p0 = a;
            p1 = b;
            len = Tensor.numel(ctx.inShape(0));
            pool = ctx.pool();
            ctx.setOutput(0, ctx.inShape(0));
        }

        @Override public boolean differentiable(int input) { return input == 0; }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset();
            Parallel.range(pool, len >= 1 << 15 ? len : 1, (t, s, e) -> {
                int lo = len >= 1 << 15 ? s : 0, hi = len >= 1 << 15 ? e : len;
                System.arraycopy(x, xo + lo, y, yo + lo, hi - lo);
                if (act == Activation.SIGMOID || act == Activation.TANH) {
                    for (int i = lo; i < hi; i++) y[yo + i] = act.apply(y[yo + i], p0, p1);
                } else {
                    act.applyInPlace(y, yo + lo, hi - lo, p0, p1);
                }
            });
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] == null) return;
            float[] x = in[0].floats(), y = out[0].floats(), gy = gOut[0].floats(), gx = gIn[0].floats();
            int xo = in[0].offset(), yo = out[0].offset(), go = gOut[0].offset(), gxo = gIn[0].offset();
            boolean par = len >= 1 << 15;
            Parallel.range(pool, par ? len : 1, (t, s, e) -> {
                int lo = par ? s : 0, hi = par ? e : len;
                backwardRange(x, xo, y, yo, gy, go, gx, gxo, lo, hi);
            });
        }

        /** The piecewise-linear rules as vector masks; the smooth ones per element from the saved output. */
        private void backwardRange(float[] x, int xo, float[] y, int yo, float[] gy, int go, float[] gx, int gxo, int lo, int hi) {
            int i = lo;
            switch (act) {
                case RELU, CLIP, LEAKY_RELU -> {
                    float slope = act == Activation.LEAKY_RELU ? p0 : 0f;
                    for (; i + L <= hi; i += L) {
                        FloatVector xv = FloatVector.fromArray(S, x, xo + i), g = FloatVector.fromArray(S, gy, go + i);
                        FloatVector d;
                        if (act == Activation.CLIP) {
                            d = g.blend(0f, xv.compare(VectorOperators.LE, p0).or(xv.compare(VectorOperators.GE, p1)));
                        } else {
                            d = g.blend(g.mul(slope), xv.compare(act == Activation.RELU ? VectorOperators.LE : VectorOperators.LT, 0f));
                        }
                        d.add(FloatVector.fromArray(S, gx, gxo + i)).intoArray(gx, gxo + i);
                    }
                    for (; i < hi; i++) gx[gxo + i] += gy[go + i] * derivative(x[xo + i], y[yo + i]);
                }
                case SIGMOID -> { for (; i < hi; i++) gx[gxo + i] += gy[go + i] * y[yo + i] * (1f - y[yo + i]); }
                case TANH -> { for (; i < hi; i++) gx[gxo + i] += gy[go + i] * (1f - y[yo + i] * y[yo + i]); }
                default -> { for (; i < hi; i++) gx[gxo + i] += gy[go + i] * derivative(x[xo + i], y[yo + i]); }
            }
        }

        /** d act / dx at x (y = act(x)); at kinks the right-hand side is taken, as frameworks do. */
        private float derivative(float x, float y) {
            return switch (act) {
                case RELU -> x > 0 ? 1f : 0f;
                case CLIP -> x > p0 && x < p1 ? 1f : 0f;
                case LEAKY_RELU -> x >= 0 ? 1f : p0;
                case SIGMOID -> y * (1f - y);
                case HARD_SIGMOID -> {
                    float v = p0 * x + p1;
                    yield v > 0f && v < 1f ? p0 : 0f;
                }
                case HARD_SWISH -> x < -3f ? 0f : x > 3f ? 1f : x / 3f + 0.5f;
                case TANH -> 1f - y * y;
                case NONE -> 1f;
            };
        }
    }
}
