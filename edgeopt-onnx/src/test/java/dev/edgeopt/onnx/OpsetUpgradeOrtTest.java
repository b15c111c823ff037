package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.passes.OpsetUpgrade;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Raising a model's opset must not change what it computes. The oracle is ONNX Runtime on the
 * ORIGINAL (older-opset) model: the raised float model must match it (ORT and the Java engine), and
 * the quantized model (the quantizer raises to 13) must be close to it.
 */
class OpsetUpgradeOrtTest {
    static final String[] SOFTMAX_OUTS = {"sm_axis1", "sm_default", "sm_axis2", "sm_last", "logsm_default", "hardmax_axis1"};

    /**
     * Opset 11: x [N,1,28,28] -> Conv (8 filters 7x7, stride 7) -> [N,8,4,4] read by Softmax with axis
     * 1, default axis, axis 2, axis 3 (the only one whose meaning is the same at 13), LogSoftmax
     * (default) and Hardmax (axis 1). The logits are scaled so the rows are far from uniform.
     */
    static Graph softmaxModel(Dim batch) {
        Graph g = new Graph("softmax11");
        g.setOpset(11);
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(batch, Dim.of(1), Dim.of(28), Dim.of(28))));
        SplittableRandom r = new SplittableRandom(7);
        float[] w = new float[8 * 49];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextDouble(-1, 1);
        float[] b = new float[8];
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
        Value wv = g.addInitializer("w", Tensor.of(w, 8, 1, 7, 7)), bv = g.addInitializer("b", Tensor.of(b, 8));
        Node conv = g.addNode("Conv", "conv", List.of(x, wv, bv), List.of("logits"));
        conv.setAttr("kernel_shape", Attribute.of(new long[] {7, 7}));
        conv.setAttr("strides", Attribute.of(new long[] {7, 7}));
        Value logits = conv.output(0);
        add(g, "Softmax", "sm_axis1", logits, 1L);
        add(g, "Softmax", "sm_default", logits, null);
        add(g, "Softmax", "sm_axis2", logits, 2L);
        add(g, "Softmax", "sm_last", logits, -1L);
        add(g, "LogSoftmax", "logsm_default", logits, null);
        add(g, "Hardmax", "hardmax_axis1", logits, 1L);
        ShapeInference.annotate(g, null);
        return g;
    }

    private static void add(Graph g, String op, String out, Value in, Long axis) {
        Node n = g.addNode(op, out + "_node", List.of(in), List.of(out));
        if (axis != null) n.setAttr("axis", Attribute.of(axis.longValue()));
        g.addOutput(n.output(0));
    }

    static Tensor batch(Dataset d, int from, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = from + i;
        return Calibrator.batch(d, idx, 0, n);
    }

    static Tensor[] ort(Graph g, Tensor x) {
        try (OrtRunner rt = new OrtRunner(OnnxExporter.toBytes(g), 1, OrtRunner.OptLevel.NONE)) {
            return rt.run(x);
        }
    }

    static float maxDiff(Tensor a, Tensor b) {
        assertEquals(java.util.Arrays.toString(a.dims()), java.util.Arrays.toString(b.dims()));
        float[] p = a.toFloatArray(), q = b.toFloatArray();
        assertEquals(p.length, q.length);
        float m = 0;
        for (int i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i] - q[i]));
        return m;
    }

    @Test
    void raisedFloatModelMatchesOrtOnTheOriginal() {
        Dataset d = PostTrainingQuantizerTest.images(40, 3);
        Tensor x = batch(d, 0, 16);
        for (Dim batchDim : new Dim[] {Dim.of(16), Dim.sym("N")}) {
            Graph g11 = softmaxModel(batchDim);
            Tensor[] want = ort(g11, x);
            // The naive raise (the opset number alone) is what the test guards against: with these
            // shapes it must change every output but the last-axis Softmax.
            Graph naive = g11.copy();
            naive.setOpset(13);
            Tensor[] wrong = ort(naive, x);
            for (int i = 0; i < SOFTMAX_OUTS.length; i++) {
                float diff = maxDiff(want[i], wrong[i]);
                if (SOFTMAX_OUTS[i].equals("sm_last")) assertTrue(diff < 1e-6f, "last axis: " + diff);
                else assertTrue(diff > 0.05f, SOFTMAX_OUTS[i] + ": the naive raise differs only by " + diff);
            }
            Graph raised = g11.copy();
            List<String> changes = OpsetUpgrade.raise(raised, 13);
            assertEquals(13, raised.opset());
            assertEquals(SOFTMAX_OUTS.length, changes.size(), changes.toString());
            ShapeInference.annotate(raised, null);
            ShapeInference.verify(raised);
            Tensor[] got = ort(raised, x);
            Tensor[] java;
            try (Executor ex = new Executor(raised, 1)) {
                java = ex.run(x);
            }
            for (int i = 0; i < SOFTMAX_OUTS.length; i++) {
                assertEquals(SOFTMAX_OUTS[i], raised.outputs().get(i).name());
                assertTrue(maxDiff(want[i], got[i]) <= 1e-5f, SOFTMAX_OUTS[i] + " (ORT, raised): " + maxDiff(want[i], got[i]));
                assertTrue(maxDiff(want[i], java[i]) <= 1e-5f, SOFTMAX_OUTS[i] + " (Java, raised): " + maxDiff(want[i], java[i]));
            }
            // Static shapes reshape back to a constant; a symbolic batch reads Shape(x).
            assertEquals(batchDim.isKnown() ? 0 : 5, raised.opHistogram().getOrDefault("Shape", 0), raised.opHistogram().toString());
        }
    }

    @Test
    void quantizedModelIsCloseToOrtOnTheOriginal() {
        Dataset d = PostTrainingQuantizerTest.images(300, 5);
        Graph g11 = softmaxModel(Dim.sym("N"));
        PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(g11, d, PostTrainingQuantizer.Options.defaults().withSamples(100));
        assertEquals(13, r.qdq().opset());
        Tensor x = batch(d, 100, 100);
        Tensor[] want = ort(g11, x);
        byte[] bytes = OnnxExporter.toBytes(r.qdq());
        Tensor[] ortQdq, javaInt8;
        try (OrtRunner rt = new OrtRunner(bytes, 1, OrtRunner.OptLevel.ALL)) {
            ortQdq = rt.run(x);
        }
        try (Int8Engine ex = new Int8Engine(OnnxImporter.fromBytes(bytes, "softmax11.qdq.onnx"), 1)) {
            javaInt8 = ex.run(x);
        }
        for (int i = 0; i < SOFTMAX_OUTS.length; i++) {
            String name = SOFTMAX_OUTS[i];
            for (Tensor[] q : List.of(ortQdq, javaInt8)) {
                String who = (q == ortQdq ? "ORT" : "Java int8") + " " + name;
                if (name.startsWith("hardmax")) {
                    // Quantized logits can tie or swap near-equal maxima: most rows keep their one.
                    float[] p = want[i].toFloatArray(), s = q[i].toFloatArray();
                    int same = 0;
                    for (int j = 0; j < p.length; j++) if (p[j] == s[j]) same++;
                    assertTrue(same >= 0.97 * p.length, who + ": " + same + " of " + p.length + " equal");
                } else {
                    // Softmax outputs are in steps of 1/256, LogSoftmax's error grows where probabilities are small.
                    float tol = name.startsWith("log") ? 0.25f : 0.02f;
                    float diff = maxDiff(want[i], q[i]);
                    assertTrue(diff <= tol, who + ": max difference " + diff);
                }
            }
        }
    }

    /** Ops whose attributes became inputs: the raised model computes what ORT computes on the original. */
    @Test
    void attributeToInputOpsMatchOrt() {
        Graph g = new Graph("attrs9");
        g.setOpset(9);
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(2, 3, 1, 6)));
        Node sq = g.addNode("Squeeze", "squeeze", List.of(x), List.of("sq"));
        sq.setAttr("axes", Attribute.of(new long[] {2}));
        Node un = g.addNode("Unsqueeze", "unsqueeze", List.of(sq.output(0)), List.of("un"));
        un.setAttr("axes", Attribute.of(new long[] {0}));
        Node rs = g.addNode("ReduceSum", "reducesum", List.of(un.output(0)), List.of("rs"));
        rs.setAttr("axes", Attribute.of(new long[] {3}));
        rs.setAttr("keepdims", Attribute.of(0L));
        Node clip = g.addNode("Clip", "clip", List.of(un.output(0)), List.of("clip"));
        clip.setAttr("min", Attribute.of(-0.5f));
        clip.setAttr("max", Attribute.of(0.7f));
        Node pad = g.addNode("Pad", "pad", List.of(clip.output(0)), List.of("pad"));
        pad.setAttr("pads", Attribute.of(new long[] {0, 0, 1, 2, 0, 0, 0, 1}));
        pad.setAttr("value", Attribute.of(0.25f));
        Node sl = g.addNode("Slice", "slice", List.of(pad.output(0)), List.of("sl"));
        sl.setAttr("starts", Attribute.of(new long[] {1, -5}));
        sl.setAttr("ends", Attribute.of(new long[] {3, 100}));
        sl.setAttr("axes", Attribute.of(new long[] {2, 3}));
        Node split = g.addNode("Split", "split", List.of(sl.output(0)), List.of("s0", "s1"));
        split.setAttr("axis", Attribute.of(3L));
        split.setAttr("split", Attribute.of(new long[] {2, 3}));
        Node topk = g.addNode("TopK", "topk", List.of(split.output(1)), List.of("tv", "ti"));
        topk.setAttr("k", Attribute.of(2L));
        for (String o : List.of("rs", "s0", "tv", "ti")) g.addOutput(g.value(o));
        ShapeInference.annotate(g, null);
        SplittableRandom r = new SplittableRandom(11);
        float[] xs = new float[36];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble(-1, 1);
        Tensor in = Tensor.of(xs, 2, 3, 1, 6);
        Tensor[] want = ort(g, in);
        Graph raised = g.copy();
        List<String> changes = OpsetUpgrade.raise(raised, 13);
        assertEquals(8, changes.size(), changes.toString());
        ShapeInference.annotate(raised, null);
        ShapeInference.verify(raised);
        Tensor[] got = ort(raised, in);
        Tensor[] java;
        try (Executor ex = new Executor(raised, 1)) {
            java = ex.run(in);
        }
        for (int i = 0; i < want.length; i++) {
            assertEquals(0f, maxDiff(want[i], got[i]), "output " + i + " (ORT)");
            // ReduceSum's summation order is the engine's own.
            assertTrue(maxDiff(want[i], java[i]) <= 1e-6f, "output " + i + " (Java): " + maxDiff(want[i], java[i]));
        }
    }

    /**
     * Upsample (opset 7 attribute, opset 9 input) and Resize 10, nearest and linear, enlarging and
     * (Resize 10 only; Upsample's scales are at least 1) shrinking: ORT on the raised model equals
     * ORT on the original.
     */
    @Test
    void upsampleAndOldResizeBecomeResize11() {
        SplittableRandom r = new SplittableRandom(12);
        float[] xs = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble(-1, 1);
        Tensor in = Tensor.of(xs, 2, 3, 4, 5);
        for (float[] scales : List.of(new float[] {1, 1, 2.5f, 3}, new float[] {1, 1, 0.75f, 0.6f}))
        for (int opset : new int[] {7, 9, 10}) {
            if (scales[2] < 1 && opset < 10) continue;
            for (String mode : List.of("nearest", "linear")) {
                Graph g = new Graph("resize" + opset);
                g.setOpset(opset);
                Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(2, 3, 4, 5)));
                List<Value> ins = opset < 9 ? List.of(x) : List.of(x, g.addInitializer("scales", Tensor.of(scales.clone(), 4)));
                Node u = g.addNode(opset < 10 ? "Upsample" : "Resize", "up", ins, List.of("y"));
                if (opset < 9) u.setAttr("scales", Attribute.of(scales));
                u.setAttr("mode", Attribute.of(mode));
                g.addOutput(u.output(0));
                ShapeInference.annotate(g, null);
                Tensor want = ort(g, in)[0];
                Graph raised = g.copy();
                List<String> changes = OpsetUpgrade.raise(raised, 13);
                assertEquals(1, changes.size(), changes.toString());
                assertEquals(Map.of("Resize", 1), raised.opHistogram());
                ShapeInference.annotate(raised, null);
                ShapeInference.verify(raised);
                Tensor got = ort(raised, in)[0], java;
                try (Executor ex = new Executor(raised, 1)) {
                    java = ex.run(in)[0];
                }
                String what = u.opType() + "-" + opset + " " + mode + " " + Arrays.toString(scales);
                assertTrue(maxDiff(want, got) <= 1e-6f, what + " (ORT): " + maxDiff(want, got));
                assertTrue(maxDiff(want, java) <= 1e-6f, what + " (Java): " + maxDiff(want, java));
            }
        }
    }

    @Test
    void unconvertedOpsFailWithTheNodeName() {
        Graph g = new Graph("bn7");
        g.setOpset(7);
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(1, 2, 2, 2)));
        List<Value> ins = new java.util.ArrayList<>(List.of(x));
        for (String p : List.of("scale", "bias", "mean", "var")) ins.add(g.addInitializer(p, Tensor.of(new float[8], 2, 2, 2)));
        Node bn = g.addNode("BatchNormalization", "bn", ins, List.of("y"));
        bn.setAttr("spatial", Attribute.of(0L));
        g.addOutput(bn.output(0));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> OpsetUpgrade.raise(g, 13));
        assertTrue(e.getMessage().contains("node bn (BatchNormalization)") && e.getMessage().contains("spatial=0"), e.getMessage());
        // Resize 10 nearest enlarging one axis and shrinking another: no single Resize 11 nearest_mode.
        Graph rg = new Graph("resize10");
        rg.setOpset(10);
        Value rx = rg.addInput("x", new TensorType(DType.FLOAT, Shape.of(1, 1, 4, 4)));
        Node rs = rg.addNode("Resize", "rs", List.of(rx, rg.addInitializer("scales", Tensor.of(new float[] {1, 1, 2, 0.5f}, 4))), List.of("y"));
        rs.setAttr("mode", Attribute.of("nearest"));
        rg.addOutput(rs.output(0));
        EdgeoptException re = assertThrows(EdgeoptException.class, () -> OpsetUpgrade.raise(rg, 13));
        assertTrue(re.getMessage().contains("rs") && re.getMessage().contains("above and below 1"), re.getMessage());
        // Already at the target: nothing to do.
        Graph g13 = softmaxModel(Dim.of(1));
        g13.setOpset(13);
        assertTrue(OpsetUpgrade.raise(g13, 13).isEmpty());
    }
}
