package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * GlobalMaxPool in the integer engine: the quantizer gives its output the input's parameters,
 * lower-qdq turns DQ -> GlobalMaxPool -> Q into edgeopt's QLinearGlobalMaxPool, and the result is
 * what ONNX Runtime computes on the QDQ model (which keeps the float GlobalMaxPool: ONNX's is float only).
 */
class GlobalMaxPoolInt8Test {
    private static Tensor[] ort(Graph g, Tensor x) {
        try (OrtRunner r = new OrtRunner(OnnxExporter.toBytes(g), 1, OrtRunner.OptLevel.ALL)) {
            return r.run(x);
        }
    }

    /** x [N,1,28,28] -> Conv 8x3x3 (stride 2) -> Relu -> GlobalMaxPool -> Flatten -> Gemm 10. */
    static Graph model() {
        Graph g = new Graph("gmp");
        g.setOpset(17);
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.of(1), Dim.of(28), Dim.of(28))));
        SplittableRandom r = new SplittableRandom(4);
        float[] w = new float[8 * 9], b = new float[8], fw = new float[10 * 8], fb = new float[10];
        for (float[] a : List.of(w, b, fw, fb)) for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
        Node conv = g.addNode("Conv", "conv", List.of(x, g.addInitializer("w", Tensor.of(w, 8, 1, 3, 3)), g.addInitializer("b", Tensor.of(b, 8))),
                List.of("c"));
        conv.setAttr("strides", Attribute.of(new long[] {2, 2}));
        Node relu = g.addNode("Relu", "relu", List.of(conv.output(0)), List.of("r"));
        Node gmp = g.addNode("GlobalMaxPool", "gmp", List.of(relu.output(0)), List.of("p"));
        Node flat = g.addNode("Flatten", "flatten", List.of(gmp.output(0)), List.of("f"));
        Node fc = g.addNode("Gemm", "fc", List.of(flat.output(0), g.addInitializer("fw", Tensor.of(fw, 10, 8)), g.addInitializer("fb", Tensor.of(fb, 10))),
                List.of("y"));
        fc.setAttr("transB", Attribute.of(1L));
        g.addOutput(fc.output(0));
        ShapeInference.annotate(g, null);
        return g;
    }

    @Test
    void quantizedModelRunsGlobalMaxPoolOnIntegersAndAgreesWithOrt() {
        Dataset d = PostTrainingQuantizerTest.images(120, 8);
        int[] idx = new int[64];
        for (int i = 0; i < idx.length; i++) idx[i] = 50 + i;
        Tensor x = Calibrator.batch(d, idx, 0, idx.length);
        for (DType act : new DType[] {DType.INT8, DType.UINT8}) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model(), d,
                    PostTrainingQuantizer.Options.defaults().withSamples(50).withActivationType(act));
            Graph qdq = r.qdq();
            assertEquals(1, qdq.opHistogram().getOrDefault("GlobalMaxPool", 0), "the QDQ file keeps ONNX's float GlobalMaxPool");
            float step = r.activations().stream().filter(a -> a.dequantized().equals(qdq.outputs().get(0).name())).findFirst().orElseThrow().params().scale();
            float[] java;
            try (Int8Engine e = new Int8Engine(qdq, 1)) {
                assertEquals(List.of(), e.floatOps(), act + ": ops left in float");
                Map<String, Integer> h = e.lowered().opHistogram();
                assertEquals(1, h.getOrDefault("QLinearGlobalMaxPool", 0), h.toString());
                assertEquals(0, h.getOrDefault("GlobalMaxPool", 0), h.toString());
                java = e.run(x)[0].toFloatArray();
            }
            float[] ortQdq = ort(qdq, x)[0].toFloatArray();
            Graph qop = Int8Engine.qoperator(qdq);
            assertEquals(0, qop.opHistogram().getOrDefault("QLinearGlobalMaxPool", 0), "written back for export: " + qop.opHistogram());
            assertTrue(qop.nodes().stream().noneMatch(n -> n.domain().equals(FusedOps.DOMAIN)), qop.opHistogram().toString());
            float[] ortQop = ort(qop, x)[0].toFloatArray();
            int within = 0, exact = 0;
            for (int i = 0; i < java.length; i++) {
                if (Math.abs(java[i] - ortQdq[i]) <= step * 1.001f) within++;
                if (java[i] == ortQop[i]) exact++;
            }
            assertTrue(within >= 0.99 * java.length, act + ": " + within + " of " + java.length + " within one step of ORT (QDQ)");
            assertTrue(exact >= 0.99 * java.length, act + ": " + exact + " of " + java.length + " equal to ORT (QOperator)");
        }
    }

    /** One DQ -> GlobalMaxPool -> Q group over random 8-bit planes: lowered, it is ORT's answer exactly. */
    @Test
    void singleGroupIsExact() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
            Graph g = new Graph("one");
            g.setOpset(13);
            Value x = g.addInput("x", new TensorType(t, Shape.of(2, 5, 7, 3)));
            Value s = g.addInitializer("s", Tensor.of(new float[] {0.03f})), z = g.addInitializer("z", Tensor.of(t, new byte[] {(byte) (t == DType.INT8 ? -7 : 131)}));
            Node dq = g.addNode("DequantizeLinear", "dq", List.of(x, s, z), List.of("xf"));
            Node p = g.addNode("GlobalMaxPool", "p", List.of(dq.output(0)), List.of("pf"));
            g.addOutput(g.addNode("QuantizeLinear", "q", List.of(p.output(0), s, z), List.of("y")).output(0));
            ShapeInference.annotate(g, null);
            SplittableRandom r = new SplittableRandom(9);
            byte[] data = new byte[2 * 5 * 7 * 3];
            for (int i = 0; i < data.length; i++) data[i] = (byte) r.nextInt(256);
            Tensor in = Tensor.of(t, data, 2, 5, 7, 3);
            Graph lowered = new PassManager(List.of(new LowerQdq())).run(g).graph();
            assertEquals(Map.of("QLinearGlobalMaxPool", 1), lowered.opHistogram());
            byte[] java;
            try (Executor e = new Executor(lowered, 1)) {
                java = e.run(in)[0].bytes();
            }
            assertArrayEquals(ort(g, in)[0].bytes(), java, t.toString());
        }
    }

    @Test
    void differentParametersStayFloatAndTheKernelRefusesThem() {
        Graph g = new Graph("two");
        g.setOpset(13);
        Value x = g.addInput("x", new TensorType(DType.INT8, Shape.of(1, 2, 3, 3)));
        Value s = g.addInitializer("s", Tensor.of(new float[] {0.03f})), s2 = g.addInitializer("s2", Tensor.of(new float[] {0.05f}));
        Value z = g.addInitializer("z", Tensor.of(DType.INT8, new byte[] {0}));
        Node dq = g.addNode("DequantizeLinear", "dq", List.of(x, s, z), List.of("xf"));
        Node p = g.addNode("GlobalMaxPool", "p", List.of(dq.output(0)), List.of("pf"));
        g.addOutput(g.addNode("QuantizeLinear", "q", List.of(p.output(0), s2, z), List.of("y")).output(0));
        ShapeInference.annotate(g, null);
        assertEquals(1, new PassManager(List.of(new LowerQdq())).run(g).graph().opHistogram().getOrDefault("GlobalMaxPool", 0));
        Graph bad = new Graph("bad");
        bad.setOpset(13);
        Value bx = bad.addInput("x", new TensorType(DType.INT8, Shape.of(1, 2, 3, 3)));
        List<Value> ins = List.of(bx, bad.addInitializer("s", Tensor.of(new float[] {0.03f})), bad.addInitializer("z", Tensor.of(DType.INT8, new byte[] {0})),
                bad.addInitializer("s2", Tensor.of(new float[] {0.05f})), bad.addInitializer("z2", Tensor.of(DType.INT8, new byte[] {0})));
        bad.addOutput(bad.insertNode(0, "QLinearGlobalMaxPool", FusedOps.DOMAIN, "gmp", ins, List.of("y")).output(0));
        ShapeInference.annotate(bad, null);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> {
            try (Executor ex = new Executor(bad, 1)) {
                ex.run(Tensor.of(DType.INT8, new byte[18], 1, 2, 3, 3));
            }
        });
        assertTrue(e.getMessage().contains("same type, scale and zero point") && e.getMessage().contains("gmp"), e.getMessage());
    }
}
