package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Networks written the way PyTorch and PaddlePaddle exporters write them, through the default
 * pipeline: no BatchNormalization left after a Conv or Gemm, the decomposed activations
 * recognized and fused, and ONNX Runtime on the exported result matching the original within 1e-4
 * of the output magnitude.
 */
class ExporterNetworksTest {
    private static void assertNoBatchNormAfterConvOrGemm(Graph g) {
        for (Node n : g.nodes()) {
            if (!n.opType().equals("BatchNormalization")) continue;
            Node p = n.input(0).producer();
            assertTrue(p == null || !(p.opType().contains("Conv") || p.opType().contains("Gemm")), "BN left after " + p.describe());
        }
    }

    /** PyTorch opset 9: conv-bn-relu6 (Clip attributes), Identity, hardswish as x*HardSigmoid, Dropout, Flatten + Gemm + BN1d. */
    @Test void pytorchOpset9() {
        Net n = new Net("torch9", 9, 1);
        Value x = n.input("input", 1, 3, 16, 16);
        Value y = n.op("Clip", a("min", 0f, "max", 6f), n.bn(n.op("Conv", a("pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2}), x, n.rand(-0.5f, 0.5f, 8, 3, 3, 3)), 8));
        y = n.op("Identity", y);
        Value d = n.bn(n.op("Conv", a("pads", new long[] {1, 1, 1, 1}, "group", 8), y, n.rand(-0.5f, 0.5f, 8, 1, 3, 3)), 8);
        Value hs = n.op("Mul", d, n.op("HardSigmoid", a("alpha", 1f / 6f, "beta", 0.5f), d));
        Value p = n.bn(n.op("Conv", hs, n.rand(-0.5f, 0.5f, 16, 8, 1, 1)), 16);
        Value res = n.op("Relu", n.op("Add", p, n.conv(x, 3, 16, 2, "strides", new long[] {2, 2})));
        Value f = n.op("Flatten", n.op("GlobalAveragePool", res));
        Value fc = n.op("Dropout", a("ratio", 0.2f), n.bn(n.op("Gemm", a("transB", 1), f, n.rand(-1, 1, 10, 16), n.rand(-1, 1, 10)), 10));
        Graph g = n.out(fc);
        PassManager.Result r = Pipelines.defaults().run(g);
        assertNoBatchNormAfterConvOrGemm(r.graph());
        Map<String, Integer> ops = r.graph().opHistogram();
        assertEquals(0, ops.getOrDefault("Identity", 0) + ops.getOrDefault("Dropout", 0) + ops.getOrDefault("HardSigmoid", 0));
        // conv+Clip and depthwise+HardSwish fuse; the residual branch's Relu follows an Add.
        assertEquals(2, ops.getOrDefault("FusedConv", 0), ops.toString());
        OrtCheck.assertSame(g, r.graph(), 1e-4);
    }

    /**
     * PaddlePaddle opset 11: conv2d without bias + batch_norm + hard_swish as Add/Clip/Mul/Div, a
     * separate elementwise_add bias, flatten through Shape/Gather/Unsqueeze/Concat/Reshape, fc as
     * MatMul + Add, and layer_norm written out (kept at opset 11, where the op does not exist).
     */
    @Test void paddleOpset11() {
        Net n = new Net("paddle11", 11, 2);
        Value x = n.input("image", 1, 3, 12, 12);
        Value c = n.bn(n.op("Conv", a("pads", new long[] {1, 1, 1, 1}), x, n.rand(-0.5f, 0.5f, 8, 3, 3, 3)), 8);
        Value hs = RandomGraphs.paddleHardSwish(n, c, 11);
        Value c2 = n.op("Add", n.op("Conv", hs, n.rand(-0.5f, 0.5f, 8, 8, 1, 1)), n.rand(-0.1f, 0.1f, 1, 8, 1, 1));
        Value r6 = n.op("Clip", n.bn(c2, 8), n.scalar(0f), n.scalar(6f));
        Value pool = n.op("MaxPool", a("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}), r6);
        Value batch = n.op("Unsqueeze", a("axes", new long[] {0}), n.op("Gather", a("axis", 0), n.op("Shape", pool),
                n.g.addInitializer("zero", Tensor.scalarLong(0))));
        Value flat = n.op("Reshape", pool, n.op("Concat", a("axis", 0), batch, n.longs(-1)));
        Value fc = n.op("Add", n.op("MatMul", flat, n.rand(-0.2f, 0.2f, 288, 16)), n.rand(-0.1f, 0.1f, 16));
        Value m1 = n.op("ReduceMean", a("axes", new long[] {-1}), fc);
        Value dd = n.op("Sub", fc, m1);
        Value var = n.op("ReduceMean", a("axes", new long[] {-1}), n.op("Pow", dd, n.scalar(2f)));
        Value ln = n.op("Div", dd, n.op("Sqrt", n.op("Add", var, n.scalar(1e-5f))));
        Value out = n.op("Relu", n.op("Add", n.op("Mul", ln, n.rand(0.5f, 1.5f, 16)), n.rand(-0.5f, 0.5f, 16)));
        Graph g = n.out(out);
        PassManager.Result r = Pipelines.defaults().run(g);
        assertNoBatchNormAfterConvOrGemm(r.graph());
        Map<String, Integer> ops = r.graph().opHistogram();
        for (String gone : new String[] {"BatchNormalization", "Shape", "Gather", "Unsqueeze", "Concat", "MatMul", "Clip"}) {
            assertEquals(0, ops.getOrDefault(gone, 0), gone + " left: " + ops);
        }
        assertEquals(2, ops.get("FusedConv"), ops.toString());
        assertEquals("HardSwish", r.graph().nodes().get(0).attrString("activation", ""));
        OrtCheck.assertSame(g, r.graph(), 1e-4);
    }

    /** PyTorch opset 17 transformer block pieces: LayerNorm and exact GELU written out, Linear as MatMul + Add. */
    @Test void pytorchOpset17Encoder() {
        Net n = new Net("torch17", 17, 3);
        Value x = n.input("tokens", 2, 6, 16);
        Value m1 = n.op("ReduceMean", a("axes", new long[] {-1}), x);
        Value dd = n.op("Sub", x, m1);
        Value var = n.op("ReduceMean", a("axes", new long[] {-1}), n.op("Pow", dd, n.scalar(2f)));
        Value ln = n.op("Add", n.op("Mul", n.op("Div", dd, n.op("Sqrt", n.op("Add", var, n.scalar(1e-5f)))), n.rand(0.5f, 1.5f, 16)), n.rand(-0.5f, 0.5f, 16));
        Value h = n.op("Add", n.op("MatMul", ln, n.rand(-0.3f, 0.3f, 16, 32)), n.rand(-0.1f, 0.1f, 32));
        Value e = n.op("Erf", n.op("Div", h, n.scalar((float) Math.sqrt(2))));
        Value gelu = n.op("Mul", n.op("Mul", h, n.op("Add", e, n.scalar(1f))), n.scalar(0.5f));
        Graph g = n.out(n.op("Add", x, n.op("Add", n.op("MatMul", gelu, n.rand(-0.3f, 0.3f, 32, 16)), n.rand(-0.1f, 0.1f, 16))));
        PassManager.Result r = Pipelines.defaults().run(g);
        Map<String, Integer> ops = r.graph().opHistogram();
        assertEquals(1, ops.get("LayerNormalization"), ops.toString());
        assertEquals(1, ops.get("Gelu"), ops.toString());
        assertEquals(0, ops.getOrDefault("Erf", 0) + ops.getOrDefault("ReduceMean", 0));
        OrtCheck.assertSame(g, r.graph(), 1e-4);
    }
}
