package dev.edgeopt.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.tensor.Tensor;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The quantized graph against the float graph it came from (the Java engine runs both). */
public class PostTrainingQuantizerTest {
    public static Dataset images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 28 * 28];
        // Smooth blobs rather than white noise, so activations look like those of real images.
        for (int i = 0; i < n; i++) {
            double cx = r.nextDouble(8, 20), cy = r.nextDouble(8, 20), s = r.nextDouble(3, 8);
            for (int y = 0; y < 28; y++) for (int xx = 0; xx < 28; xx++) {
                x[i * 784 + y * 28 + xx] = (float) Math.exp(-((xx - cx) * (xx - cx) + (y - cy) * (y - cy)) / (2 * s * s));
            }
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        return new Dataset("blobs", x, new int[] {1, 28, 28}, labels, 10, Collections.nCopies(10, "c"));
    }

    public static Graph model(String arch) { return Architectures.build(arch, new int[] {1, 28, 28}, 10, 0.25, 1); }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void quantizedModelsTrackTheirFloatModels() {
        Dataset d = images(40, 1);
        for (String arch : List.of("mlp", "cnn", "dscnn", "resnet8")) {
            for (RangeMethod m : RangeMethod.values()) {
                PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model(arch), d,
                        PostTrainingQuantizer.Options.defaults().withMethod(m).withSamples(20));
                Tensor x = Calibrator.batch(d, new int[] {30, 31, 32, 33}, 0, 4);
                float[] f, q;
                try (Executor ef = new Executor(r.prepared()); Executor eq = new Executor(r.qdq())) {
                    f = ef.run(x)[0].toFloatArray();
                    q = eq.run(x)[0].toFloatArray();
                }
                assertTrue(cosine(f, q) > 0.98, arch + " " + m + ": cosine " + cosine(f, q));
                long convs = r.prepared().nodes().stream().filter(n -> n.opType().equals("Conv") || n.opType().equals("Gemm")).count();
                long weightDq = r.qdq().nodes().stream().filter(n -> n.opType().equals("DequantizeLinear") && n.input(0).isConstant()
                        && n.input(0).dtype() == DType.INT8).count();
                assertEquals(convs, weightDq, arch + ": one int8 weight per conv/gemm");
                assertTrue(r.warnings().isEmpty(), arch + ": " + r.warnings());
            }
        }
    }

    @Test
    void weightsAreSymmetricPerChannelAndBiasesInt32AtTheProductScale() {
        PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model("cnn"), images(20, 2), PostTrainingQuantizer.Options.defaults().withSamples(20));
        Graph g = r.qdq();
        boolean sawBias = false;
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Conv")) continue;
            Node wdq = n.input(1).producer();
            assertEquals(0, wdq.attrInt("axis", -1));
            Tensor wq = wdq.input(0).constant();
            Tensor ws = wdq.input(1).constant();
            assertEquals(wq.dim(0), ws.size());
            byte[] b = wq.bytes();
            int per = wq.size() / wq.dim(0);
            for (int c = 0; c < wq.dim(0); c++) {
                int mx = 0;
                for (int i = 0; i < per; i++) mx = Math.max(mx, Math.abs(b[c * per + i]));
                assertEquals(127, mx, "each channel uses the full symmetric range");
            }
            if (n.hasInput(2)) {
                Node bdq = n.input(2).producer();
                assertEquals(DType.INT32, bdq.input(0).dtype());
                Node xdq = n.input(0).producer();
                float sIn = xdq.input(1).constant().getFloat(0);
                // Per channel, the bias scale is not stored: it is Mul(input scale, weight scales).
                Node mul = bdq.input(1).producer();
                assertEquals("Mul", mul.opType());
                assertSame(xdq.input(1), mul.input(0));
                assertSame(wdq.input(1), mul.input(1));
                Tensor bs = PostTrainingQuantizer.biasScale(bdq.input(1));
                for (int c = 0; c < ws.size(); c++) assertEquals(sIn * ws.getFloat(c), bs.getFloat(c), 0f);
                sawBias = true;
            }
        }
        assertTrue(sawBias);
        assertEquals("percentile 99.99", g.metadata().get("edgeopt.quant.method"));
        assertEquals("blobs", g.metadata().get("edgeopt.quant.calibration_data"));
    }

    @Test
    void perTensorWeightsHaveOneBiasScale() {
        PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model("dscnn"), images(20, 2), PostTrainingQuantizer.Options.defaults().withSamples(20).withPerChannel(false));
        int biases = 0;
        for (Node n : r.qdq().nodes()) {
            if (!n.opType().equals("Conv") || !n.hasInput(2)) continue;
            Tensor bs = n.input(2).producer().input(1).constant(), ws = n.input(1).producer().input(1).constant();
            float sIn = n.input(0).producer().input(1).constant().getFloat(0);
            assertEquals(0, bs.rank());
            assertEquals(0, ws.rank());
            assertEquals(sIn * ws.getFloat(0), bs.getFloat(0), 0f);
            assertEquals(-1, n.input(2).producer().attrInt("axis", -1));
            biases++;
        }
        assertTrue(biases >= 5);
    }

    /** Sum over output channels of |mean(float - quantized)| of the model output on samples. */
    static double meanShift(PostTrainingQuantizer.Result r, Tensor x) {
        float[] f, q;
        try (Executor ef = new Executor(r.prepared()); Executor eq = new Executor(r.qdq())) {
            f = ef.run(x)[0].toFloatArray();
            q = eq.run(x)[0].toFloatArray();
        }
        double[] m = new double[10];
        for (int i = 0; i < f.length; i++) m[i % 10] += f[i] - q[i];
        double s = 0;
        for (double v : m) s += Math.abs(v) / (f.length / 10);
        return s;
    }

    @Test
    void biasCorrectionRemovesTheMeanShiftOfTheOutput() {
        Dataset d = images(100, 6);
        // Per channel the bias scale is a Mul of two initializers, not a constant: still corrected.
        for (boolean perChannel : new boolean[] {false, true}) {
            var o = PostTrainingQuantizer.Options.defaults().withSamples(100).withPerChannel(perChannel);
            Tensor x = Calibrator.batch(d, Dataset.permutation(100, 0), 0, 100);
            PostTrainingQuantizer.Result plain = PostTrainingQuantizer.quantize(model("cnn"), d, o);
            PostTrainingQuantizer.Result corrected = PostTrainingQuantizer.quantize(model("cnn"), d, o.withBiasCorrection(true));
            double before = meanShift(plain, x), after = meanShift(corrected, x);
            assertTrue(after < 0.5 * before, "per-channel " + perChannel + ": " + before + " -> " + after);
            assertEquals("true", corrected.qdq().metadata().get("edgeopt.quant.bias_correction"));
        }
    }

    @Test
    void sameSeedSameGraph() {
        Dataset d = images(30, 3);
        var o = PostTrainingQuantizer.Options.defaults().withMethod(RangeMethod.ENTROPY).withSamples(10);
        Graph a = PostTrainingQuantizer.quantize(model("dscnn"), d, o).qdq(), b = PostTrainingQuantizer.quantize(model("dscnn"), d, o).qdq();
        assertEquals(a.toString(), b.toString());
        for (Value v : a.initializers()) assertTrue(v.constant().contentEquals(b.value(v.name()).constant()), v.name());
    }

    @Test
    void badInputIsOneLine() {
        Dataset d = images(10, 4);
        var o = PostTrainingQuantizer.Options.defaults();
        Dataset wrong = new Dataset("wrong", new float[10 * 100], new int[] {1, 10, 10}, new int[10], 10, Collections.nCopies(10, "c"));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> PostTrainingQuantizer.quantize(model("cnn"), wrong, o));
        assertTrue(e.getMessage().contains("[1, 10, 10]"), e.getMessage());
        Dataset empty = new Dataset("empty", new float[0], new int[] {1, 28, 28}, new int[0], 10, Collections.nCopies(10, "c"));
        e = assertThrows(EdgeoptException.class, () -> PostTrainingQuantizer.quantize(model("cnn"), empty, o));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        Graph nanW = model("cnn");
        Value w = nanW.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow().input(1);
        float[] wa = w.constant().toFloatArray();
        wa[3] = Float.NaN;
        nanW.setConstant(w, Tensor.of(wa, w.constant().shape()));
        e = assertThrows(EdgeoptException.class, () -> PostTrainingQuantizer.quantize(nanW, d, o));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains(w.name()), e.getMessage());
        float[] inf = d.data().clone();
        inf[5] = Float.POSITIVE_INFINITY;
        Dataset infData = new Dataset("inf", inf, new int[] {1, 28, 28}, new int[10], 10, Collections.nCopies(10, "c"));
        e = assertThrows(EdgeoptException.class, () -> PostTrainingQuantizer.quantize(model("cnn"), infData, o.withSamples(10)));
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
        assertThrows(EdgeoptException.class, () -> RangeMethod.parse("median"));
        Graph intInput = model("mlp");
        Value in = intInput.inputs().get(0);
        in.setType(new dev.edgeopt.ir.TensorType(DType.INT64, in.shape()));
        e = assertThrows(EdgeoptException.class, () -> PostTrainingQuantizer.quantize(intInput, d, o));
        assertTrue(e.getMessage().contains("INT64") || e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void unknownOpStaysFloatWithAWarning() {
        Graph g = model("mlp");
        Value out = g.outputs().get(0);
        Node sm = g.addNode("Softsign", "squash", List.of(out), 1);
        g.setOutput(0, sm.output(0));
        PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(g, images(10, 5), PostTrainingQuantizer.Options.defaults().withSamples(10));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("Softsign") && w.contains("squash")), r.warnings().toString());
        assertTrue(r.qdq().nodes().stream().anyMatch(n -> n.opType().equals("Softsign")));
    }
}
