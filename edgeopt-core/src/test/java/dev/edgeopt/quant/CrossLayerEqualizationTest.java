package dev.edgeopt.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CrossLayerEqualizationTest {
    /**
     * Scales output channel i of each pair's first conv by a random factor in [e^-3, e^3] and the
     * second conv's input channel i by its inverse: the float function is unchanged, but channel
     * ranges within a tensor now differ by up to ~400x, as after careless training or BN folding.
     */
    static Graph unbalanced(String arch, long seed) { return unbalanced(arch, seed, 3); }

    static Graph unbalanced(String arch, long seed, double spread) {
        Graph g = PostTrainingQuantizer.prepare(PostTrainingQuantizerTest.model(arch));
        SplittableRandom r = new SplittableRandom(seed);
        for (CrossLayerEqualization.Pair p : CrossLayerEqualization.pairs(g)) {
            Tensor wa = p.a().input(1).constant(), wb = p.b().input(1).constant();
            int c = wa.dim(0);
            float[] f = new float[c];
            for (int i = 0; i < c; i++) f[i] = (float) Math.exp(r.nextDouble(-spread, spread));
            float[] a = wa.toFloatArray(), b = wb.toFloatArray();
            boolean dw = p.b().attrInt("group", 1) != 1;
            int k = b.length / (wb.dim(0) * wb.dim(1));
            for (int i = 0; i < a.length; i++) a[i] *= f[i / (a.length / c)];
            for (int i = 0; i < b.length; i++) b[i] /= f[dw ? i / (wb.dim(1) * k) : (i / k) % wb.dim(1)];
            g.setConstant(p.a().input(1), Tensor.of(a, wa.shape()));
            g.setConstant(p.b().input(1), Tensor.of(b, wb.shape()));
            if (p.a().hasInput(2)) {
                float[] bias = p.a().input(2).constant().toFloatArray();
                for (int i = 0; i < c; i++) bias[i] *= f[i];
                g.setConstant(p.a().input(2), Tensor.of(bias, c));
            }
        }
        return g;
    }

    static float[] run(Graph g, Tensor x) {
        try (Executor ex = new Executor(g)) {
            return ex.run(x)[0].toFloatArray();
        }
    }

    static double sqnr(float[] ref, float[] y) {
        double s = 0, n = 0;
        for (int i = 0; i < ref.length; i++) {
            s += (double) ref[i] * ref[i];
            n += (double) (ref[i] - y[i]) * (ref[i] - y[i]);
        }
        return 10 * Math.log10(s / n);
    }

    @Test
    void equalizationKeepsTheFloatFunctionAndBalancesRanges() {
        Dataset d = PostTrainingQuantizerTest.images(8, 11);
        Tensor x = Calibrator.batch(d, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 0, 8);
        Graph g = unbalanced("dscnn", 1);
        float[] before = run(g, x);
        List<CrossLayerEqualization.Pair> pairs = CrossLayerEqualization.apply(g);
        // Stem -> depthwise, then per block depthwise -> pointwise and pointwise -> next depthwise.
        assertTrue(pairs.size() >= 5, pairs.toString());
        assertTrue(pairs.stream().anyMatch(p -> p.b().attrInt("group", 1) != 1), "a depthwise pair");
        assertTrue(pairs.stream().anyMatch(p -> p.b().attrInt("group", 1) == 1), "a pointwise pair");
        float[] after = run(g, x);
        double max = 0;
        for (float v : before) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < before.length; i++) assertEquals(before[i], after[i], 1e-4 * max, "output " + i);
        // Each pair now has matching ranges on both sides of every channel it connects.
        for (CrossLayerEqualization.Pair p : pairs) {
            Tensor wa = p.a().input(1).constant(), wb = p.b().input(1).constant();
            int c = wa.dim(0);
            float[] a = wa.toFloatArray(), b = wb.toFloatArray();
            boolean dw = p.b().attrInt("group", 1) != 1;
            int k = b.length / (wb.dim(0) * wb.dim(1));
            double[] r1 = new double[c], r2 = new double[c];
            for (int i = 0; i < a.length; i++) r1[i / (a.length / c)] = Math.max(r1[i / (a.length / c)], Math.abs(a[i]));
            for (int i = 0; i < b.length; i++) {
                int ch = dw ? i / (wb.dim(1) * k) : (i / k) % wb.dim(1);
                r2[ch] = Math.max(r2[ch], Math.abs(b[i]));
            }
            for (int i = 0; i < c; i++) assertEquals(1, r1[i] / r2[i], 0.02, p.a().name() + " -> " + p.b().name() + " channel " + i);
        }
    }

    @Test
    void equalizationRaisesPerTensorSqnrOnAnUnbalancedNetwork() {
        Dataset d = PostTrainingQuantizerTest.images(120, 12);
        int[] idx = new int[40];
        for (int i = 0; i < idx.length; i++) idx[i] = 80 + i;
        Tensor x = Calibrator.batch(d, idx, 0, idx.length);
        Graph g = unbalanced("dscnn", 2);
        float[] ref = run(g, x);
        var o = PostTrainingQuantizer.Options.defaults().withPerChannel(false).withSamples(80).withMethod(RangeMethod.MINMAX);
        PostTrainingQuantizer.Result plain = PostTrainingQuantizer.quantize(g, d, o);
        PostTrainingQuantizer.Result cle = PostTrainingQuantizer.quantize(g, d, o.withCrossLayerEqualization(true));
        double sPlain = sqnr(ref, run(plain.qdq(), x)), sCle = sqnr(ref, run(cle.qdq(), x));
        assertTrue(sCle > sPlain + 6, "per-tensor SQNR without CLE " + sPlain + " dB, with " + sCle + " dB");
        assertEquals("true", cle.qdq().metadata().get("edgeopt.quant.cross_layer_equalization"));
        // The equalized float graph is the reference the quantized one is compared with.
        float[] eq = run(cle.prepared(), x);
        double max = 0;
        for (float v : ref) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], eq[i], 1e-4 * max);
        System.out.printf("per-tensor int8 output SQNR on unbalanced dscnn: %.1f dB without CLE, %.1f dB with%n", sPlain, sCle);
    }
}
