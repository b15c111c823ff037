package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fuse-activation and the export lowering that writes fused nodes back. */
class FusionTest {
    private static Node only(Graph g, String op) {
        return g.nodes().stream().filter(n -> n.opType().equals(op)).findFirst().orElseThrow();
    }

    @Test
    void fusesConvAndGemmActivationsAndExportsThemAsStandardOnnx() {
        Net n = new Net("t", 14, 1);
        Value x = n.input("x", 1, 3, 6, 6);
        Value a1 = n.op("Relu", n.conv(x, 3, 4, 3, "pads", new long[] {1, 1, 1, 1}));
        Value a2 = n.op("Clip", n.conv(a1, 4, 4, 1), n.scalar(0f), n.scalar(6f));
        Value a3 = n.op("HardSwish", n.conv(a2, 4, 4, 1));
        Value a4 = n.op("LeakyRelu", a("alpha", 0.2f), n.conv(a3, 4, 4, 1));
        Value a5 = n.op("Sigmoid", n.conv(a4, 4, 2, 1));
        Value f = n.op("Flatten", a5);
        Value a6 = n.op("HardSigmoid", a("alpha", 0.3f, "beta", 0.4f), n.op("Gemm", a("transB", 1), f, n.rand(-1, 1, 5, 72), n.rand(-1, 1, 5)));
        Graph g = n.out(a6);
        var r = OrtCheck.apply(g, new FuseActivation(false));
        assertEquals(Map.of("FusedConv", 5, "FusedGemm", 1, "Flatten", 1), r.graph().opHistogram());
        Node gemm = only(r.graph(), "FusedGemm");
        assertEquals(dev.edgeopt.ops.FusedOps.DOMAIN, gemm.domain());
        assertEquals("HardSigmoid", gemm.attrString("activation", ""));
        assertArrayEquals(new float[] {0.3f, 0.4f}, gemm.attrFloats("activation_params", null));
        assertEquals(1L, gemm.attrInt("transB", 0));
        OrtCheck.assertSame(g, r.graph(), 1e-6);
        Graph exported = Pipelines.forExport().run(r.graph()).graph();
        assertEquals(g.opHistogram(), exported.opHistogram());
    }

    @Test
    void fusesClipGivenAsAttributesInOpset9AndWritesItBackTheSameWay() {
        Net n = new Net("t", 9, 2);
        Value x = n.input("x", 1, 3, 5, 5);
        Value y = n.op("Clip", a("min", 0f, "max", 6f), n.conv(x, 3, 4, 3));
        Value z = n.op("HardSwish", n.conv(y, 4, 4, 1));
        Graph g = n.out(z);
        // HardSwish is not an opset-9 op, but fusion accepts it (edgeopt runs it) and the export
        // lowering writes it as x * HardSigmoid(x), which opset 9 has.
        var r = OrtCheck.apply(g, new FuseActivation(false));
        assertEquals(Map.of("FusedConv", 2), r.graph().opHistogram());
        Graph exported = Pipelines.forExport().run(r.graph()).graph();
        assertEquals(Map.of("Conv", 2, "Clip", 1, "HardSigmoid", 1, "Mul", 1), exported.opHistogram());
        assertEquals(6f, only(exported, "Clip").attrFloat("max", 0f));
        Graph before = new Net("u", 9, 2).g;
        assertEquals(9, before.opset());
    }

    @Test
    void doesNotFuseWhereTheEngineCannotRunTheFusedOp() {
        Net n = new Net("t", 13, 3);
        Value x = n.input("x", 1, 3, 5, 5);
        Graph g = n.out(n.op("Relu", n.conv(x, 3, 4, 3)));
        var r = OrtCheck.apply(g, new FuseActivation());
        boolean engineHasConv = KernelRegistry.standard().find("", "Conv") != null;
        assertEquals(engineHasConv ? Map.of("FusedConv", 1) : Map.of("Conv", 1, "Relu", 1), r.graph().opHistogram());
    }

    @Test
    void leavesActivationWhenTheConvOutputHasOtherReaders() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 1, 3, 5, 5);
        Value c = n.conv(x, 3, 4, 3);
        Graph g = n.out(n.op("Add", n.op("Relu", c), c));
        var r = OrtCheck.apply(g, new FuseActivation(false));
        assertEquals(g.opHistogram(), r.graph().opHistogram());
    }

    @Test
    void foldsPadIntoConvAndCountingAveragePoolOnly() {
        Net n = new Net("t", 11, 5);
        Value x = n.input("x", 1, 3, 6, 6);
        Value p1 = n.op("Pad", x, n.longs(0, 0, 1, 2, 0, 0, 2, 1));
        Value c = n.conv(p1, 3, 4, 3, "pads", new long[] {1, 0, 0, 1});
        Value p2 = n.op("Pad", c, n.longs(0, 0, 1, 1, 0, 0, 1, 1));
        Value ap = n.op("AveragePool", a("kernel_shape", new long[] {3, 3}, "count_include_pad", 1), p2);
        Value p3 = n.op("Pad", ap, n.longs(0, 0, 1, 1, 0, 0, 1, 1));
        Value ap2 = n.op("AveragePool", a("kernel_shape", new long[] {2, 2}), p3);
        Value p4 = n.op("Pad", a("mode", "reflect"), ap2, n.longs(0, 0, 1, 1, 0, 0, 1, 1));
        Graph g = n.out(n.conv(p4, 4, 2, 3));
        var r = OrtCheck.apply(g, new FoldPad());
        // Folded: into the conv and the counting pool. Kept: before the non-counting pool, reflect.
        assertEquals(Map.of("Conv", 2, "AveragePool", 2, "Pad", 2), r.graph().opHistogram());
        assertArrayEquals(new long[] {2, 2, 2, 2}, only(r.graph(), "Conv").attrInts("pads", null));
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }

    @Test
    void foldsOpset9PadAttributes() {
        Net n = new Net("t", 9, 6);
        Value x = n.input("x", 1, 2, 5, 5);
        Value p = n.op("Pad", a("pads", new long[] {0, 0, 1, 1, 0, 0, 1, 1}), x);
        Graph g = n.out(n.conv(p, 2, 2, 3));
        var r = OrtCheck.apply(g, new FoldPad());
        assertEquals(Map.of("Conv", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }
}
