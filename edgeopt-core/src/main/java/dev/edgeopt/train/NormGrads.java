package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/** BatchNormalization (batch statistics and running-statistics update in training) and Dropout. */
final class NormGrads {
    private NormGrads() {}

    static void register(GradRules r) {
        r.register("BatchNormalization", BatchNorm::new);
        r.register("Dropout", Dropout::new);
    }

    /**
     * Training mode normalizes with the batch mean and biased variance and updates the running
     * statistics in place as ONNX defines it: {@code running = running * momentum + batch * (1 - momentum)}
     * (the running variance takes the unbiased batch variance, as PyTorch does, so exported models
     * match frameworks users compare against). Channels are split over the pool.
     */
    static final class BatchNorm extends TrainOp {
        private final ThreadPool pool;
        private final int n, c, hw;
        private final float eps, momentum;
        private final float[] mean, invStd;
        /**
         * The forward's per-channel y = x * a + b: with a folded Relu, the backward pass recomputes
         * its mask from x (which it reads anyway) instead of reading the output, one stream less
         * of a memory-bound pass.
         */
        private final float[] scaleA, shiftB;
        private final float[][] pairs;
        private final Parallel.Loop forwardLoop, backwardLoop;
        /** Set by the tape when a Relu that alone reads this output is folded in (see {@link Tape}). */
        private boolean relu;
        /** The input gradient is cleared by the backward tasks (see {@link TrainOp#acceptFirstWrite}). */
        private boolean clearGx;
        // Per-run state read by the parallel bodies.
        private Tensor[] rin, rout, rgOut, rgIn;
        private boolean rtraining;

        BatchNorm(TrainContext ctx) {
            ctx.requireFloat(0, 1, 2, 3, 4);
            int[] xs = ctx.inShape(0);
            if (xs.length < 2) throw ctx.fail("input must have a channel axis, got " + Arrays.toString(xs));
            n = xs[0];
            c = xs[1];
            hw = Tensor.numel(xs) / Math.max(1, n * c);
            for (int i = 1; i <= 4; i++) {
                int[] s = ctx.inShape(i);
                if (s.length != 1 || s[0] != c) throw ctx.fail("input " + i + " must be [" + c + "], got " + Arrays.toString(s));
            }
            if (ctx.node().outputCount() > 1) throw ctx.fail("training builds BatchNormalization with one output (statistics are kept by the tape)");
            eps = ctx.attrFloat("epsilon", 1e-5f);
            momentum = ctx.attrFloat("momentum", 0.9f);
            pool = ctx.pool();
            mean = new float[c];
            invStd = new float[c];
            scaleA = new float[c];
            shiftB = new float[c];
            pairs = new float[Parallel.tasks(pool, c)][2];
            forwardLoop = new Parallel.Loop(pool, this::forwardTask);
            backwardLoop = new Parallel.Loop(pool, this::backwardTask);
            ctx.setOutput(0, xs);
        }

        /**
         * Makes this op output {@code max(0, bn(x))}, and its backward pass take the gradient of
         * that (masked where the output is 0, which is where bn(x) <= 0: Relu's own rule). Saves
         * Relu's passes over the activation in both directions.
         */
        void fuseRelu() { relu = true; }

        @Override public boolean differentiable(int input) { return input <= 2; }

        @Override public boolean acceptFirstWrite(int input) {
            if (input == 0) clearGx = true;
            return clearGx;
        }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            rin = in;
            rout = out;
            rtraining = training;
            forwardLoop.run(c);
            rin = rout = null;
        }

        private void forwardTask(int t, int s, int e) {
            Tensor[] in = rin, out = rout;
            boolean training = rtraining;
            float[] x = in[0].floats(), y = out[0].floats(), sc = in[1].floats(), bi = in[2].floats();
            float[] rm = in[3].floats(), rv = in[4].floats();
            int xo = in[0].offset(), yo = out[0].offset(), so = in[1].offset(), bo = in[2].offset(), rmo = in[3].offset(), rvo = in[4].offset();
            int count = n * hw;
            {
                for (int ch = s; ch < e; ch++) {
                    float mu, is;
                    if (training) {
                        // Per-sample partial sums in float vectors, combined in double: fast and stable enough.
                        double sum = 0;
                        for (int i = 0; i < n; i++) sum += Blas.sum(x, xo + (i * c + ch) * hw, hw);
                        double mu64 = sum / count;
                        double sq = 0;
                        for (int i = 0; i < n; i++) sq += Blas.sumSquaredDeviation(x, xo + (i * c + ch) * hw, hw, (float) mu64);
                        double var = sq / count;
                        mu = (float) mu64;
                        is = (float) (1.0 / Math.sqrt(var + eps));
                        mean[ch] = mu;
                        invStd[ch] = is;
                        double unbiased = count > 1 ? sq / (count - 1) : var;
                        rm[rmo + ch] = (float) (rm[rmo + ch] * momentum + mu64 * (1 - momentum));
                        rv[rvo + ch] = (float) (rv[rvo + ch] * momentum + unbiased * (1 - momentum));
                    } else {
                        mu = rm[rmo + ch];
                        is = (float) (1.0 / Math.sqrt(rv[rvo + ch] + eps));
                    }
                    float a = sc[so + ch] * is, b = bi[bo + ch] - mu * a;
                    scaleA[ch] = a;
                    shiftB[ch] = b;
                    for (int i = 0; i < n; i++) {
                        int base = (i * c + ch) * hw;
                        if (relu) Blas.scaleShiftRelu(hw, x, xo + base, a, b, y, yo + base);
                        else Blas.scaleShift(hw, x, xo + base, a, b, y, yo + base);
                    }
                }
            }
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            rin = in;
            rout = out;
            rgOut = gOut;
            rgIn = gIn;
            backwardLoop.run(c);
            rin = rout = rgOut = rgIn = null;
        }

        private void backwardTask(int t, int s, int e) {
            Tensor[] in = rin, gOut = rgOut, gIn = rgIn;
            float[] x = in[0].floats(), sc = in[1].floats(), gy = gOut[0].floats();
            int xo = in[0].offset(), so = in[1].offset(), gyo = gOut[0].offset();
            Tensor gX = gIn[0], gS = gIn[1], gB = gIn[2];
            int count = n * hw;
            {
                for (int ch = s; ch < e; ch++) {
                    float mu = mean[ch], is = invStd[ch];
                    double sg = 0, sgx = 0;
                    float[] pair = pairs[t];
                    for (int i = 0; i < n; i++) {
                        int base = (i * c + ch) * hw;
                        Blas.sumAndDot(hw, gy, gyo + base, x, xo + base, relu, scaleA[ch], shiftB[ch], pair);
                        sg += pair[0];
                        sgx += pair[1];
                    }
                    // sum(g * (x - mu)) = sum(g*x) - mu * sum(g)
                    sgx -= mu * sg;
                    float dBeta = (float) sg, dGamma = (float) (sgx * is);
                    if (gS != null) gS.floats()[gS.offset() + ch] += dGamma;
                    if (gB != null) gB.floats()[gB.offset() + ch] += dBeta;
                    if (gX != null) {
                        float[] gx = gX.floats();
                        int gxo = gX.offset();
                        // dx = k*count*g - k*dGamma*is*x + k*(dGamma*is*mu - dBeta): one fused pass.
                        float k = sc[so + ch] * is / count;
                        float ag = k * count, ax = -k * dGamma * is, c0 = k * (dGamma * is * mu - dBeta);
                        for (int i = 0; i < n; i++) {
                            int base = (i * c + ch) * hw;
                            if (clearGx) Arrays.fill(gx, gxo + base, gxo + base + hw, 0f);
                            if (relu) Blas.bnBackwardMasked(hw, gy, gyo + base, scaleA[ch], shiftB[ch], ag, x, xo + base, ax, c0, gx, gxo + base);
                            else Blas.bnBackward(hw, gy, gyo + base, ag, x, xo + base, ax, c0, gx, gxo + base);
                        }
                    }
                }
            }
        }
    }

    /**
     * Inverted dropout: in training each element is kept with probability 1 - ratio and scaled by
     * 1/(1 - ratio); inference is the identity. The mask is a function of the run seed, the node's
     * position and the step number only, so repeated and resumed runs draw the same masks.
     */
    static final class Dropout extends TrainOp {
        private final float ratio;
        private final boolean[] mask;
        private final long seed;
        private final long[] clock;

        Dropout(TrainContext ctx) {
            ctx.requireFloat(0);
            float r = ctx.attrFloat("ratio", 0.5f);
            Tensor rt = ctx.constant(1);
            if (ctx.hasInput(1)) {
                if (rt == null) throw ctx.fail("training needs the ratio as a constant");
                r = rt.getFloat(0);
            }
            if (!(r >= 0 && r < 1)) throw ctx.fail("ratio must be in [0, 1), got " + r);
            ratio = r;
            int[] xs = ctx.inShape(0);
            mask = new boolean[Tensor.numel(xs)];
            seed = ctx.seed();
            clock = ctx.clock();
            ctx.setOutput(0, xs);
            if (ctx.node().outputCount() > 1) ctx.setOutput(1, xs, DType.BOOL);
        }

        @Override public boolean differentiable(int input) { return input == 0; }

        @Override public void forward(Tensor[] in, Tensor[] out, boolean training) {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset(), len = mask.length;
            if (!training || ratio == 0f) {
                System.arraycopy(x, xo, y, yo, len);
                Arrays.fill(mask, true);
            } else {
                float scale = 1f / (1f - ratio);
                SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + clock[0]);
                for (int i = 0; i < len; i++) {
                    mask[i] = rng.nextFloat() >= ratio;
                    y[yo + i] = mask[i] ? x[xo + i] * scale : 0f;
                }
            }
            if (out.length > 1) System.arraycopy(mask, 0, out[1].bools(), out[1].offset(), len);
        }

        @Override public void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn) {
            if (gIn[0] == null) return;
            float[] gy = gOut[0].floats(), gx = gIn[0].floats();
            int go = gOut[0].offset(), xo = gIn[0].offset();
            float scale = ratio == 0f ? 1f : 1f / (1f - ratio);
            for (int i = 0; i < mask.length; i++) if (mask[i]) gx[xo + i] += gy[go + i] * scale;
        }
    }
}
