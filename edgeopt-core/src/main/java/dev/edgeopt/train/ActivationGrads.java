package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.tensor.Tensor;

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
            Parallel.range(pool, len >= 1 << 15 ? len : 1, (t, s, e) -> {
                int lo = len >= 1 << 15 ? s : 0, hi = len >= 1 << 15 ? e : len;
                for (int i = lo; i < hi; i++) gx[gxo + i] += gy[go + i] * derivative(x[xo + i], y[yo + i]);
            });
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
