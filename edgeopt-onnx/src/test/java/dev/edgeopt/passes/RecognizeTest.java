package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** fuse-hardswish, fuse-layernorm, fuse-gelu on the forms exporters write. */
class RecognizeTest {
    @ParameterizedTest
    @ValueSource(ints = {9, 11, 14})
    void paddleHardSwishAndHardSigmoid(int opset) {
        Net n = new Net("t", opset, 1);
        Value x = n.input("x", 2, 3, 4);
        Value clip1 = opset < 11 ? n.op("Clip", a("min", 0f, "max", 6f), n.op("Add", x, n.scalar(3f)))
                : n.op("Clip", n.op("Add", x, n.scalar(3f)), n.scalar(0f), n.scalar(6f));
        Value hswish = n.op("Div", n.op("Mul", x, clip1), n.scalar(6f));
        Value clip2 = opset < 11 ? n.op("Clip", a("min", 0f, "max", 6f), n.op("Add", n.scalar(3f), hswish))
                : n.op("Clip", n.op("Add", n.scalar(3f), hswish), n.scalar(0f), n.scalar(6f));
        Value hsig = n.op("Mul", clip2, n.scalar(1f / 6f));
        Graph g = n.out(hsig);
        var r = OrtCheck.apply(g, new FuseHardSwish());
        assertEquals(Map.of("HardSwish", 1, "HardSigmoid", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }

    @Test
    void pytorchHardSwishAsHardSigmoidTimesX() {
        Net n = new Net("t", 11, 2);
        Value x = n.input("x", 2, 8);
        Value y = n.op("Mul", x, n.op("HardSigmoid", a("alpha", 1f / 6f, "beta", 0.5f), x));
        Value z = n.op("Mul", n.op("HardSigmoid", a("alpha", 0.2f), y), y);
        Graph g = n.out(z);
        var r = OrtCheck.apply(g, new FuseHardSwish());
        // The second HardSigmoid has PyTorch's default 0.2 slope: that is not HardSwish.
        assertEquals(Map.of("HardSwish", 1, "HardSigmoid", 1, "Mul", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }

    private static Value layerNorm(Net n, Value x, boolean powForm, int[] normShape, boolean affine, int opset) {
        long[] axes = new long[normShape.length];
        for (int i = 0; i < axes.length; i++) axes[i] = -normShape.length + i;
        Value m1 = opset >= 18 ? n.op("ReduceMean", n.op("Identity", n.longs(axes))) : n.op("ReduceMean", a("axes", axes), x);
        if (opset >= 18) m1.producer().setInput(0, x);
        Value d = n.op("Sub", x, m1);
        Value sq = powForm ? n.op("Pow", d, n.scalar(2f)) : n.op("Mul", d, d);
        Value m2 = n.op("ReduceMean", a("axes", axes), sq);
        Value y = n.op("Div", d, n.op("Sqrt", n.op("Add", m2, n.scalar(1e-5f))));
        if (!affine) return y;
        return n.op("Add", n.op("Mul", y, n.rand(0.5f, 1.5f, normShape)), n.rand(-0.5f, 0.5f, normShape));
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 17})
    void decomposedLayerNorm(int opset) {
        Net n = new Net("t", opset, 3);
        Value x = n.input("x", 2, 5, 8);
        Value y = layerNorm(n, x, true, new int[] {8}, true, opset);
        Value z = layerNorm(n, n.op("Relu", y), false, new int[] {5, 8}, false, opset);
        Graph g = n.out(z);
        // The first normalized tensor's shape is read from its producer's type (import annotates it).
        y.setType(x.type());
        n.g.nodes().stream().filter(q -> q.opType().equals("Relu")).forEach(q -> q.output(0).setType(x.type()));
        var r = OrtCheck.apply(g, new FuseLayerNorm());
        if (opset < 17) {
            // LayerNormalization is an opset-17 op: older graphs keep the pattern.
            assertEquals(g.opHistogram(), r.graph().opHistogram());
            return;
        }
        assertEquals(Map.of("LayerNormalization", 2, "Relu", 1), r.graph().opHistogram());
        Node ln = r.graph().nodes().get(2);
        assertEquals(1L, ln.attrInt("axis", -1));
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void layerNormOverNonTrailingAxesIsLeftAlone() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 2, 5, 8);
        Value m1 = n.op("ReduceMean", a("axes", new long[] {1}), x);
        Value d = n.op("Sub", x, m1);
        Value m2 = n.op("ReduceMean", a("axes", new long[] {1}), n.op("Pow", d, n.scalar(2f)));
        Graph g = n.out(n.op("Div", d, n.op("Sqrt", n.op("Add", m2, n.scalar(1e-5f)))));
        var r = OrtCheck.apply(g, new FuseLayerNorm());
        assertEquals(g.opHistogram(), r.graph().opHistogram());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void geluInEachGrouping(int grouping) {
        Net n = new Net("t", 13, 5);
        Value x = n.input("x", 3, 7);
        Value e = n.op("Erf", grouping == 1 ? n.op("Mul", x, n.scalar((float) (1 / Math.sqrt(2)))) : n.op("Div", x, n.scalar((float) Math.sqrt(2))));
        Value b = n.op("Add", e, n.scalar(1f));
        Value y = switch (grouping) {
            case 0 -> n.op("Mul", n.op("Mul", x, b), n.scalar(0.5f));
            case 1 -> n.op("Mul", x, n.op("Mul", b, n.scalar(0.5f)));
            default -> n.op("Mul", n.op("Mul", x, n.scalar(0.5f)), b);
        };
        Graph g = n.out(y);
        var r = OrtCheck.apply(g, new FuseGelu());
        assertEquals(Map.of("Gelu", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-6);
    }
}
