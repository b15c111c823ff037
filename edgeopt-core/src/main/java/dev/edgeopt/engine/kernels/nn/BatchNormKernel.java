package dev.edgeopt.engine.kernels.nn;

import static jdk.incubator.vector.VectorOperators.FMA;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * BatchNormalization as one fused multiply-add per element: {@code y = x * a[c] + b[c]} with
 * {@code a = scale / sqrt(var + eps)} and {@code b = B - mean * a}, folded once per run (in double)
 * into scratch, so statistics may be graph inputs and nothing is allocated.
 *
 * <p>With {@code training_mode=1} (opset 14+) the statistics are the batch's own (population
 * variance over N and the spatial dims), and the optional outputs are the running statistics
 * {@code input * momentum + batch * (1 - momentum)}, as ONNX defines them. With {@code spatial=0}
 * (opsets 7 and 8) every element of {@code X.shape[1:]} has its own parameters.
 */
public final class BatchNormKernel implements Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int n, channels, plane;
    private final double eps, momentum;
    private final boolean training;
    private final Scratch.Ref coef;
    private final ThreadPool pool;
    private final int tasks;
    private final IntConsumer body = this::task;
    private float[] xa, ya, ca;
    private int xo, yo, co;

    public BatchNormKernel(KernelContext kc) {
        for (int i = 0; i < 5; i++) {
            if (kc.inDtype(i) != DType.FLOAT) throw kc.fail("supports float32 inputs, input " + i + " is " + kc.inDtype(i));
        }
        int[] xs = kc.inShape(0);
        boolean spatial = kc.opset() >= 9 || kc.attrInt("spatial", 1) != 0;
        n = xs[0];
        int rest = Tensor.numel(xs) / Math.max(1, n);
        channels = spatial ? xs[1] : rest;
        plane = spatial ? rest / Math.max(1, xs[1]) : 1;
        for (int i = 1; i < 5; i++) {
            if (Tensor.numel(kc.inShape(i)) != channels) {
                throw kc.fail("input " + i + " has " + Tensor.numel(kc.inShape(i)) + " elements, expected " + channels);
            }
        }
        eps = kc.attrFloat("epsilon", 1e-5f);
        momentum = kc.attrFloat("momentum", 0.9f);
        training = kc.opset() >= 14 && kc.attrInt("training_mode", 0) != 0;
        if (training && !spatial) throw kc.fail("training_mode needs spatial batch normalization");
        coef = kc.scratch(DType.FLOAT, 2 * channels);
        pool = kc.pool();
        long work = (long) n * channels * plane;
        tasks = work < 32_768 ? 1 : Math.max(1, Math.min(n * channels, kc.threads() * 4));
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0], scale = in[1], bias = in[2], mean = in[3], var = in[4];
        ca = coef.floats();
        co = coef.offset();
        xa = x.floats();
        xo = x.offset();
        for (int c = 0; c < channels; c++) {
            double m, v;
            if (training) {
                double s = 0, ss = 0;
                for (int b = 0; b < n; b++) {
                    int base = xo + (b * channels + c) * plane;
                    for (int i = 0; i < plane; i++) s += xa[base + i];
                }
                long cnt = (long) n * plane;
                m = s / cnt;
                for (int b = 0; b < n; b++) {
                    int base = xo + (b * channels + c) * plane;
                    for (int i = 0; i < plane; i++) {
                        double dlt = xa[base + i] - m;
                        ss += dlt * dlt;
                    }
                }
                v = ss / cnt;
                if (out.length > 1 && out[1] != null) out[1].setDouble(c, mean.getFloat(c) * momentum + m * (1 - momentum));
                if (out.length > 2 && out[2] != null) out[2].setDouble(c, var.getFloat(c) * momentum + v * (1 - momentum));
            } else {
                m = mean.getFloat(c);
                v = var.getFloat(c);
            }
            double a = scale.getFloat(c) / Math.sqrt(v + eps);
            ca[co + c] = (float) a;
            ca[co + channels + c] = (float) (bias.getFloat(c) - m * a);
        }
        ya = out[0].floats();
        yo = out[0].offset();
        pool.parallelFor(tasks, body);
        xa = ya = ca = null;
    }

    private void task(int t) {
        int planes = n * channels;
        int from = (int) ((long) planes * t / tasks), to = (int) ((long) planes * (t + 1) / tasks);
        if (plane == 1) {
            for (int pl = from; pl < to; pl++) {
                int c = pl % channels;
                ya[yo + pl] = xa[xo + pl] * ca[co + c] + ca[co + channels + c];
            }
            return;
        }
        for (int pl = from; pl < to; pl++) {
            int c = pl % channels;
            float a = ca[co + c], b = ca[co + channels + c];
            int xb = xo + pl * plane, yb = yo + pl * plane;
            int i = 0;
            if (plane >= S.length()) {
                FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
                for (int bound = S.loopBound(plane); i < bound; i += S.length()) {
                    FloatVector.fromArray(S, xa, xb + i).lanewise(FMA, va, vb).intoArray(ya, yb + i);
                }
            }
            for (; i < plane; i++) ya[yb + i] = xa[xb + i] * a + b;
        }
    }
}
