package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * lower-qdq on quantized reference networks: the lowered graph is integer-only, the Java engine
 * running it agrees with ONNX Runtime running the QDQ model (the agreement statistics), and
 * ORT runs the exported QOperator form.
 */
class LowerQdqTest {
    private static Tensor[] ort(byte[] model, Tensor x) {
        try (OrtRunner r = new OrtRunner(model, 1, OrtRunner.OptLevel.ALL)) {
            return r.run(x);
        }
    }

    @Test
    void referenceNetworksLowerToIntegerOpsAndAgreeWithOrt() {
        Dataset d = PostTrainingQuantizerTest.images(60, 3);
        int[] idx = new int[24];
        for (int i = 0; i < idx.length; i++) idx[i] = 30 + i;
        Tensor x = Calibrator.batch(d, idx, 0, idx.length);
        for (String arch : List.of("mlp", "cnn", "dscnn", "resnet8")) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(PostTrainingQuantizerTest.model(arch), d,
                    PostTrainingQuantizer.Options.defaults().withSamples(30));
            Graph qdq = r.qdq();
            float step = r.activations().stream().filter(a -> a.dequantized().equals(qdq.outputs().get(0).name())).findFirst().orElseThrow().params().scale();
            float[] java, ortQdq, ortQop;
            try (Int8Engine e = new Int8Engine(qdq, 1)) {
                assertEquals(List.of(), e.floatOps(), arch + ": ops left in float");
                Map<String, Integer> h = e.lowered().opHistogram();
                assertEquals(1, h.getOrDefault("QuantizeLinear", 0), arch + ": only the input is quantized: " + h);
                assertEquals(1, h.getOrDefault("DequantizeLinear", 0), arch + ": only the output is dequantized: " + h);
                java = e.run(x)[0].toFloatArray();
            }
            ortQdq = ort(OnnxExporter.toBytes(qdq), x)[0].toFloatArray();
            ortQop = ort(OnnxExporter.toBytes(Int8Engine.qoperator(qdq)), x)[0].toFloatArray();
            int classes = java.length / idx.length;
            int within = 0, withinQop = 0, agree = 0;
            for (int i = 0; i < java.length; i++) {
                if (Math.abs(java[i] - ortQdq[i]) <= step * 1.001f) within++;
                if (Math.abs(java[i] - ortQop[i]) <= step * 1.001f) withinQop++;
            }
            for (int s = 0; s < idx.length; s++) if (argmax(java, s, classes) == argmax(ortQdq, s, classes)) agree++;
            // Requantize rounds once, as ORT does in float, so only exact ties can differ by a step.
            assertTrue(within >= 0.99 * java.length, arch + ": " + within + " of " + java.length + " outputs within one step of ORT (QDQ)");
            assertTrue(withinQop >= 0.99 * java.length, arch + ": " + withinQop + " of " + java.length + " outputs within one step of ORT (QOperator)");
            assertTrue(agree == idx.length, arch + ": argmax differs from ORT on " + (idx.length - agree) + " samples");
        }
    }

    /** A hand-built QDQ graph with every non-GEMM pattern, one op the pass must leave in float. */
    @Test
    void everyPatternLowersAndMatchesOrt() {
        Graph g = new Graph("patterns");
        g.setOpset(14);
        Q b = new Q(g);
        dev.edgeopt.ir.Value x = g.addInput("x", dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.FLOAT, 2, 4, 8, 8));
        float unit = 1f / 255;
        dev.edgeopt.ir.Value xq = b.qdq(x, unit, -128);
        dev.edgeopt.ir.Value h = b.qdq(b.op("HardSwish", xq), 0.7f / 255, -128);
        dev.edgeopt.ir.Value sg = b.qdq(b.op("Sigmoid", xq), 1f / 256, -128);
        dev.edgeopt.ir.Value m = b.qdq(b.op("Mul", h, sg), 0.5f / 255, -128);
        dev.edgeopt.ir.Node cat = b.node("Concat", m, xq);
        cat.setAttr("axis", dev.edgeopt.ir.Attribute.of(1L));
        dev.edgeopt.ir.Value c = b.qdq(cat.output(0), unit, -128);
        dev.edgeopt.ir.Node ap = b.node("AveragePool", c);
        ap.setAttr("kernel_shape", dev.edgeopt.ir.Attribute.of(new long[] {2, 2}));
        ap.setAttr("strides", dev.edgeopt.ir.Attribute.of(new long[] {2, 2}));
        dev.edgeopt.ir.Value apq = b.qdq(ap.output(0), 0.9f / 255, -128);
        dev.edgeopt.ir.Node mp = b.node("MaxPool", apq);
        mp.setAttr("kernel_shape", dev.edgeopt.ir.Attribute.of(new long[] {2, 2}));
        mp.setAttr("strides", dev.edgeopt.ir.Attribute.of(new long[] {2, 2}));
        dev.edgeopt.ir.Value mpq = b.qdq(mp.output(0), 0.9f / 255, -128);
        dev.edgeopt.ir.Value shape = g.addInitializer("shape", Tensor.vector(2L, 32L));
        dev.edgeopt.ir.Value r = b.qdq(b.op("Reshape", mpq, shape), 0.9f / 255, -128);
        dev.edgeopt.ir.Node lr = b.node("LeakyRelu", b.op("Sub", r, g.addInitializer("half", Tensor.scalar(0.45f))));
        lr.setAttr("alpha", dev.edgeopt.ir.Attribute.of(0.1f));
        // Sub with a float constant operand is not a pattern: it stays float, and so does the
        // LeakyRelu reading it. The Softmax, whose output has the fixed 1/256, becomes QLinearSoftmax.
        dev.edgeopt.ir.Value lrq = b.qdq(lr.output(0), 0.6f / 255, 30);
        dev.edgeopt.ir.Value out = b.qdq(b.op("Softmax", lrq), 1f / 256, -128);
        g.addOutput(out);
        dev.edgeopt.ops.ShapeInference.annotate(g, null);

        Tensor in = Tensor.allocate(dev.edgeopt.ir.DType.FLOAT, 2, 4, 8, 8);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        for (int i = 0; i < in.size(); i++) in.floats()[i] = (float) rnd.nextDouble();
        float[] java;
        try (Int8Engine e = new Int8Engine(g, 1)) {
            Map<String, Integer> hist = e.lowered().opHistogram();
            for (String op : List.of("QLinearLookup", "QLinearSigmoid", "QLinearMul", "QLinearConcat", "QLinearAveragePool", "MaxPool", "Reshape",
                    "QLinearSoftmax")) {
                assertEquals(1, hist.getOrDefault(op, 0), op + " in " + hist);
            }
            assertEquals(List.of("Sub", "LeakyRelu"), e.floatOps().stream().map(f -> f.substring(0, f.indexOf(' '))).toList());
            java = e.run(in)[0].toFloatArray();
        }
        float[] qdq = ort(OnnxExporter.toBytes(g), in)[0].toFloatArray();
        Graph qop = Int8Engine.qoperator(g);
        assertEquals(0, qop.opHistogram().getOrDefault("QLinearLookup", 0), "lookups are raised for export");
        float[] exported = ort(OnnxExporter.toBytes(qop), in)[0].toFloatArray();
        int within = 0, withinQop = 0;
        for (int i = 0; i < java.length; i++) {
            if (Math.abs(java[i] - qdq[i]) <= 1.001f / 256) within++;
            if (Math.abs(java[i] - exported[i]) <= 1.001f / 256) withinQop++;
        }
        assertTrue(within >= 0.99 * java.length, within + " of " + java.length + " within one step of ORT (QDQ)");
        assertTrue(withinQop >= 0.99 * java.length, withinQop + " of " + java.length + " within one step of ORT (QOperator)");
    }

    /**
     * A Relu the output range does not imply (zero point above the type's minimum) becomes a table
     * after the QLinearConv; a DQ whose scale is not a constant is left alone, graph unchanged.
     */
    @Test
    void reluNotImpliedBecomesATableAndNonConstantScalesAreLeftAlone() {
        Graph g = new Graph("conv");
        g.setOpset(13);
        Q b = new Q(g);
        dev.edgeopt.ir.Value x = g.addInput("x", dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.FLOAT, 1, 3, 6, 6));
        dev.edgeopt.ir.Value xq = b.qdq(x, 2f / 255, 0);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(9);
        byte[] w = new byte[4 * 3 * 9];
        for (int i = 0; i < w.length; i++) w[i] = (byte) (rnd.nextInt(255) - 127);
        float[] ws = {0.01f, 0.02f, 0.015f, 0.005f};
        int[] bias = {100, -300, 50, 0};
        float[] bs = new float[4];
        for (int c = 0; c < 4; c++) bs[c] = 2f / 255 * ws[c];
        dev.edgeopt.ir.Node wdq = b.node("DequantizeLinear", g.addInitializer("w", Tensor.of(dev.edgeopt.ir.DType.INT8, w, 4, 3, 3, 3)),
                g.addInitializer("ws", Tensor.of(ws, 4)), g.addInitializer("wz", Tensor.of(dev.edgeopt.ir.DType.INT8, new byte[4], 4)));
        wdq.setAttr("axis", dev.edgeopt.ir.Attribute.of(0L));
        dev.edgeopt.ir.Node bdq = b.node("DequantizeLinear", g.addInitializer("b", Tensor.ofInts(bias, 4)), g.addInitializer("bs", Tensor.of(bs, 4)));
        bdq.setAttr("axis", dev.edgeopt.ir.Attribute.of(0L));
        dev.edgeopt.ir.Node conv = b.node("Conv", xq, wdq.output(0), bdq.output(0));
        conv.setAttr("pads", dev.edgeopt.ir.Attribute.of(new long[] {1, 1, 1, 1}));
        g.addOutput(b.qdq(b.op("Relu", conv.output(0)), 0.05f, -20));
        dev.edgeopt.ops.ShapeInference.annotate(g, null);
        PassManager.Result r = OrtCheck.apply(g, new LowerQdq());
        Map<String, Integer> h = r.graph().opHistogram();
        assertEquals(1, h.getOrDefault("QLinearConv", 0), h.toString());
        assertEquals(1, h.getOrDefault("QLinearLookup", 0), h.toString());
        assertEquals(0, h.getOrDefault("Relu", 0), h.toString());
        assertTrue(r.context().changes("lower-qdq").stream().anyMatch(c -> c.description().contains("QLinearLookup Relu")), r.context().changes().toString());
        Tensor in = Tensor.allocate(dev.edgeopt.ir.DType.FLOAT, 1, 3, 6, 6);
        for (int i = 0; i < in.size(); i++) in.floats()[i] = (float) rnd.nextDouble(-0.5, 0.5);
        float[] java, ortQdq;
        try (dev.edgeopt.engine.Executor e = new dev.edgeopt.engine.Executor(r.graph(), 1)) {
            java = e.run(in)[0].toFloatArray();
        }
        ortQdq = ort(OnnxExporter.toBytes(g), in)[0].toFloatArray();
        int within = 0;
        for (int i = 0; i < java.length; i++) if (Math.abs(java[i] - ortQdq[i]) <= 0.05f * 1.001f) within++;
        assertTrue(within >= 0.99 * java.length, within + " of " + java.length);
        for (float v : java) assertTrue(v >= 0, "Relu applied");

        // The same graph with the input's scale fed at run time: nothing is rewritten.
        Graph h2 = new Graph("dynamic-scale");
        h2.setOpset(13);
        Q c = new Q(h2);
        dev.edgeopt.ir.Value x2 = h2.addInput("x", dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.INT8, 1, 4));
        dev.edgeopt.ir.Value s2 = h2.addInput("s", dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.FLOAT));
        Tensor z = Tensor.allocate(dev.edgeopt.ir.DType.INT8);
        dev.edgeopt.ir.Value dq = c.op("DequantizeLinear", x2, s2, h2.addInitializer("z", z));
        h2.addOutput(c.qdq(c.op("Sigmoid", dq), 1f / 256, -128));
        dev.edgeopt.ops.ShapeInference.annotate(h2, null);
        PassManager.Result r2 = OrtCheck.apply(h2, new LowerQdq());
        assertEquals(h2.opHistogram(), r2.graph().opHistogram());
        assertEquals(h2.initializers().size(), r2.graph().initializers().size());
        assertEquals(List.of("Sigmoid (" + r2.graph().nodes().get(1).name() + ") stays float"), LowerQdq.floatOps(r2.graph()));
    }

    /** x -> Q/DQ -> Softmax(axis) -> Q/DQ with the given output scale and zero point. */
    private static Graph softmax(float yScale, int yZp, int opset, Long axis) {
        Graph g = new Graph("softmax");
        g.setOpset(opset);
        Q b = new Q(g);
        dev.edgeopt.ir.Value x = g.addInput("x", dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.FLOAT, 3, 4, 10));
        dev.edgeopt.ir.Node sm = b.node("Softmax", b.qdq(x, 0.03f, 5));
        if (axis != null) sm.setAttr("axis", dev.edgeopt.ir.Attribute.of(axis.longValue()));
        g.addOutput(b.qdq(sm.output(0), yScale, yZp));
        dev.edgeopt.ops.ShapeInference.annotate(g, null);
        return g;
    }

    /**
     * Softmax with the quantizer's fixed output (1/256, zero point -128) becomes QLinearSoftmax with
     * its axis written out (opset 12's default 1 is not ORT's schema default), checked against ORT on
     * the QDQ graph; a calibrated output scale or another zero point leaves it float.
     */
    @Test
    void softmaxWithFixedOutputBecomesQLinearSoftmax() {
        for (int opset : new int[] {12, 13}) {
            for (Long axis : new Long[] {null, 1L}) {
                Graph before = softmax(1f / 256, -128, opset, axis);
                PassManager.Result r = OrtCheck.apply(before, new LowerQdq());
                OrtCheck.assertSame(before, r.graph(), 1.01 / 256);
                Map<String, Integer> h = r.graph().opHistogram();
                assertEquals(Map.of("QuantizeLinear", 1, "QLinearSoftmax", 1, "DequantizeLinear", 1), h, opset + " " + axis);
                dev.edgeopt.ir.Node n = r.graph().nodes().stream().filter(m -> m.opType().equals("QLinearSoftmax")).findFirst().orElseThrow();
                assertEquals(axis != null ? axis : opset < 13 ? 1 : -1, n.attrInt("axis", 99));
                assertEquals(opset, n.attrInt("opset", 0));
                assertTrue(LowerQdq.floatOps(r.graph()).isEmpty());
            }
        }
        for (Graph g : List.of(softmax(0.0041f, -128, 13, null), softmax(1f / 256, 0, 13, null))) {
            PassManager.Result r = OrtCheck.apply(g, new LowerQdq());
            assertEquals(g.opHistogram(), r.graph().opHistogram());
            assertEquals(1, LowerQdq.floatOps(r.graph()).size(), LowerQdq.floatOps(r.graph()).toString());
        }
    }

    /** A Q/DQ pair or plain node appended to a graph under construction. */
    private record Q(Graph g) {
        dev.edgeopt.ir.Node node(String op, dev.edgeopt.ir.Value... ins) {
            return g.addNode(op, g.uniqueName(op.toLowerCase(java.util.Locale.ROOT)), List.of(ins), List.of(g.uniqueName(op.toLowerCase(java.util.Locale.ROOT) + "_out")));
        }

        dev.edgeopt.ir.Value op(String op, dev.edgeopt.ir.Value... ins) { return node(op, ins).output(0); }

        dev.edgeopt.ir.Value qdq(dev.edgeopt.ir.Value v, float scale, int zp) {
            dev.edgeopt.ir.Value s = g.addInitializer(g.uniqueName("s"), Tensor.of(new float[] {scale}));
            Tensor z = Tensor.allocate(dev.edgeopt.ir.DType.INT8);
            z.setLong(0, zp);
            dev.edgeopt.ir.Value zv = g.addInitializer(g.uniqueName("z"), z);
            return op("DequantizeLinear", op("QuantizeLinear", v, s, zv), s, zv);
        }
    }

    static int argmax(float[] z, int s, int classes) {
        int a = 0;
        for (int j = 1; j < classes; j++) if (z[s * classes + j] > z[s * classes + a]) a = j;
        return a;
    }
}
