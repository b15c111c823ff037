package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FoldBatchNormTest {
    private static Map<String, Integer> ops(Graph g) { return g.opHistogram(); }

    @Test
    void foldsIntoPrecedingConvWithAndWithoutBiasAndGroups() {
        Net n = new Net("t", 13, 1);
        Value x = n.input("x", 1, 4, 8, 8);
        Value y = n.bn(n.conv(x, 4, 6, 3, "pads", new long[] {1, 1, 1, 1}), 6);
        Value w2 = n.rand(-0.5f, 0.5f, 6, 3, 3, 3);
        Value z = n.bn(n.op("Conv", a("group", 2), y, w2), 6);
        Graph g = n.out(n.op("Relu", z));
        var r = OrtCheck.apply(g, new FoldBatchNorm());
        assertEquals(Map.of("Conv", 2, "Relu", 1), ops(r.graph()));
        assertEquals(2, r.steps().get(0).changeCount());
        assertEquals("relu4_out", r.graph().outputs().get(0).name());
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void foldsIntoConvTransposeWithGroups() {
        Net n = new Net("t", 13, 2);
        Value x = n.input("x", 1, 4, 5, 5);
        Value w = n.rand(-0.5f, 0.5f, 4, 3, 3, 3);
        Value y = n.op("ConvTranspose", a("group", 2, "strides", new long[] {2, 2}), x, w);
        Graph g = n.out(n.bn(y, 6));
        var r = OrtCheck.apply(g, new FoldBatchNorm());
        assertEquals(Map.of("ConvTranspose", 1), ops(r.graph()));
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void foldsIntoGemmAndTwoDimensionalMatMul() {
        Net n = new Net("t", 13, 3);
        Value x = n.input("x", 2, 5);
        Value y = n.op("Gemm", a("transB", 1, "alpha", 0.7f, "beta", 1.3f), x, n.rand(-1, 1, 4, 5), n.rand(-1, 1, 4));
        Value z = n.bn(y, 4);
        // MatMul folds only when its input is known to be 2-D (import annotates types).
        z.setType(dev.edgeopt.ir.TensorType.of(dev.edgeopt.ir.DType.FLOAT, 2, 4));
        Value m = n.bn(n.op("MatMul", z, n.rand(-1, 1, 4, 3)), 3);
        Value x3 = n.input("x3", 2, 3, 4);
        Value m3 = n.bn(n.op("MatMul", x3, n.rand(-1, 1, 4, 4)), 3);
        Graph g = n.out(m, m3);
        var r = OrtCheck.apply(g, new FoldBatchNorm());
        // The 3-D MatMul keeps its BN: there axis 1 is not the MatMul's output features.
        assertEquals(Map.of("Gemm", 2, "MatMul", 1, "BatchNormalization", 1), ops(r.graph()));
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void foldsIntoFollowingUnpaddedConvOnly() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 1, 4, 6, 6);
        Value y = n.conv(n.bn(x, 4), 4, 4, 3, "group", 2);
        Value z = n.conv(n.bn(n.op("Relu", y), 4), 4, 3, 3, "pads", new long[] {1, 1, 1, 1});
        Graph g = n.out(z);
        var r = OrtCheck.apply(g, new FoldBatchNorm());
        // The first BN folds into the unpadded grouped conv; the second stays (its conv pads).
        assertEquals(Map.of("Conv", 2, "Relu", 1, "BatchNormalization", 1), ops(r.graph()));
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void leavesBatchNormWhoseProducerIsSharedOrNotLinear() {
        Net n = new Net("t", 13, 5);
        Value x = n.input("x", 1, 3, 4, 4);
        Value c = n.conv(x, 3, 3, 1);
        Value b = n.bn(c, 3);
        Graph g = n.out(n.op("Add", b, c));
        var r = OrtCheck.apply(g, new FoldBatchNorm());
        assertEquals(ops(g), ops(r.graph()));
        assertEquals(0, r.totalChanges());
        assertFalse(r.graph() == g);
    }
}
