package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fold-bias-add, fold-channel-scale, matmul-add-to-gemm. */
class FoldAffineTest {
    @Test
    void foldsBiasAddAndSubIntoConvConvTransposeAndGemm() {
        Net n = new Net("t", 13, 1);
        Value x = n.input("x", 1, 3, 6, 6);
        Value y = n.op("Add", n.conv(x, 3, 4, 3), n.rand(-1, 1, 4, 1, 1));
        Value w = n.rand(-0.5f, 0.5f, 4, 2, 2, 2);
        Value z = n.op("Sub", n.op("ConvTranspose", y, w), n.rand(-1, 1, 1, 2, 1, 1));
        Value f = n.op("Flatten", z);
        Value gm = n.op("Add", n.rand(-1, 1, 98), n.op("Gemm", a("transB", 1), f, n.rand(-1, 1, 98, 50)));
        Graph g = n.out(n.op("Add", gm, n.scalar(0.25f)));
        var r = OrtCheck.apply(g, new FoldBiasAdd());
        // The scalar Add folds too: once the first Add is in the Gemm, it reads the Gemm directly.
        assertEquals(Map.of("Conv", 1, "ConvTranspose", 1, "Flatten", 1, "Gemm", 1), r.graph().opHistogram());
        assertEquals(4, r.totalChanges());
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void keepsAddThatIsNotPerChannel() {
        Net n = new Net("t", 13, 2);
        Value x = n.input("x", 1, 3, 4, 4);
        Graph g = n.out(n.op("Add", n.conv(x, 3, 2, 1), n.rand(-1, 1, 1, 1, 4, 4)));
        var r = OrtCheck.apply(g, new FoldBiasAdd(), new FoldChannelScale());
        assertEquals(g.opHistogram(), r.graph().opHistogram());
    }

    @Test
    void foldsChannelScalesAfterConvAndNormalizationBeforeUnpaddedConv() {
        Net n = new Net("t", 13, 3);
        Value x = n.input("x", 1, 3, 6, 6);
        // Input normalization (x - mean) / std in front of the first conv.
        Value sub = n.op("Sub", x, n.rand(0, 1, 1, 3, 1, 1));
        Value nx = n.op("Div", sub, n.rand(0.5f, 1.5f, 3, 1, 1));
        // Folding in front of a conv needs x's shape (import annotates it): it must not broadcast.
        sub.setType(x.type());
        nx.setType(x.type());
        Value c1 = n.op("Mul", n.conv(nx, 3, 4, 3), n.rand(0.5f, 2f, 1, 4, 1, 1));
        Value c2 = n.op("Div", n.conv(n.op("Relu", c1), 4, 4, 1), n.rand(1, 2, 4, 1, 1));
        Graph g = n.out(c2);
        var r = OrtCheck.apply(g, new FoldChannelScale());
        assertEquals(Map.of("Conv", 2, "Relu", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void keepsShiftBeforePaddedConv() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 1, 3, 6, 6);
        Value nx = n.op("Add", x, n.rand(0, 1, 1, 3, 1, 1));
        Graph g = n.out(n.conv(nx, 3, 4, 3, "pads", new long[] {1, 1, 1, 1}));
        var r = OrtCheck.apply(g, new FoldChannelScale());
        assertEquals(g.opHistogram(), r.graph().opHistogram());
    }

    @Test
    void turnsTwoDimensionalMatMulAddIntoGemm() {
        Net n = new Net("t", 13, 5);
        Value x = n.input("x", 3, 5);
        Value y = n.op("Add", n.op("MatMul", x, n.rand(-1, 1, 5, 4)), n.rand(-1, 1, 4));
        Value x3 = n.input("x3", 2, 3, 5);
        Value y3 = n.op("Add", n.op("MatMul", x3, n.rand(-1, 1, 5, 4)), n.rand(-1, 1, 4));
        Graph g = n.out(y, y3);
        var r = OrtCheck.apply(g, new MatMulAddToGemm());
        // The 3-D MatMul stays: Gemm is 2-D only.
        assertEquals(Map.of("Gemm", 1, "MatMul", 1, "Add", 1), r.graph().opHistogram());
        assertEquals("add1_out", r.graph().outputs().get(0).name());
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }
}
