package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.kernels.conv.InvertedResidual;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fuse-inverted-residual and the InvertedResidual kernel: the rewrite itself (before/expected
 * graphs), the kernel against the unfused graph in the Java engine, and the exported model in ONNX
 * Runtime against the original, over strides, residuals, channel counts that are not whole
 * vectors, band sizes and thread counts.
 */
class InvertedResidualTest {
    private static final String IR = FusedOps.INVERTED_RESIDUAL;

    /** Clip(0, 6) as the opset writes it. */
    static Value relu6(Net n, Value x, int opset) {
        return opset < 11 ? n.op("Clip", a("min", 0f, "max", 6f), x) : n.op("Clip", x, n.scalar(0f), n.scalar(6f));
    }

    /**
     * A MobileNetV2 block as PyTorch exports it: [1x1 Conv -> BN -> Relu6] -> 3x3 depthwise Conv ->
     * BN -> Relu6 -> 1x1 Conv -> BN [-> Add x].
     */
    static Value block(Net n, Value x, int cin, int mid, int cout, int stride, boolean expand, boolean residual, int opset) {
        Value e = x;
        if (expand) e = relu6(n, n.bn(n.op("Conv", x, n.rand(-0.5f, 0.5f, mid, cin, 1, 1)), mid), opset);
        else mid = cin;
        Value d = n.op("Conv", a("group", mid, "kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1},
                "strides", new long[] {stride, stride}), e, n.rand(-0.5f, 0.5f, mid, 1, 3, 3));
        d = relu6(n, n.bn(d, mid), opset);
        Value p = n.bn(n.op("Conv", d, n.rand(-0.5f, 0.5f, cout, mid, 1, 1)), cout);
        return residual ? n.op("Add", p, x) : p;
    }

    /** The default pipeline (without fuse-inverted-residual): BN folded, Relu6 in FusedConv. */
    static Graph unfused(Graph g) { return Pipelines.defaults().run(g).graph(); }

    /** The default pipeline, then the block fusion. */
    static PassManager.Result optimize(Graph g) { return OrtCheck.apply(Pipelines.defaults().run(g).graph(), new FuseInvertedResidual()); }

    @Test
    void fusesTheBlockIntoOneNodeAndExportsItAsConvClipAdd() {
        Net n = new Net("t", 13, 1);
        Value x = n.input("x", 1, 8, 9, 9);
        Graph g = n.out(block(n, x, 8, 30, 8, 1, true, true, 13));
        Graph unfused = unfused(g);
        assertEquals(Map.of("FusedConv", 2, "Conv", 1, "Add", 1), unfused.opHistogram());
        PassManager.Result r = OrtCheck.apply(unfused, new FuseInvertedResidual());
        assertEquals(Map.of(IR, 1), r.graph().opHistogram());
        Node b = r.graph().nodes().get(0);
        assertEquals(FusedOps.DOMAIN, b.domain());
        assertEquals("x", b.input(0).name());
        assertEquals(1L, b.attrInt("residual", 0));
        assertEquals("Clip", b.attrString("expand_activation", ""));
        assertEquals("Clip", b.attrString("depthwise_activation", ""));
        assertArrayEquals(new float[] {0f, 6f}, b.attrFloats("depthwise_activation_params", null));
        assertArrayEquals(new long[] {1, 1}, b.attrInts("strides", null));
        assertEquals(g.outputs().get(0).name(), r.graph().outputs().get(0).name());
        assertEquals(1, r.context().changes().size());
        // The default pipeline does not fuse blocks.
        assertEquals(unfused.opHistogram(), Pipelines.defaults().run(g).graph().opHistogram());
        Graph exported = Pipelines.forExport().run(r.graph()).graph();
        assertEquals(Map.of("Conv", 3, "Clip", 2, "Add", 1), exported.opHistogram());
        assertTrue(Equivalence.compare(unfused, r.graph(), 1).maxRel() <= 1e-5);
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    static Stream<Arguments> shapes() {
        // cin, mid, cout, h, w, stride, expand, residual
        return Stream.of(
                Arguments.of(5, 30, 5, 9, 11, 1, true, true),
                Arguments.of(5, 30, 5, 6, 32, 1, true, true),
                Arguments.of(5, 30, 7, 9, 11, 1, true, false),
                Arguments.of(7, 21, 6, 12, 17, 2, true, false),
                Arguments.of(7, 21, 6, 13, 16, 2, true, false),
                Arguments.of(6, 6, 6, 10, 20, 1, false, true),
                Arguments.of(17, 17, 9, 15, 15, 2, false, false),
                Arguments.of(3, 40, 3, 34, 35, 1, true, true),
                Arguments.of(4, 24, 10, 33, 40, 2, true, false));
    }

    /**
     * Each shape at 1 and 2 threads and with whole-plane bands and with bands of a few rows (so
     * the expanded rows shared by consecutive bands are kept, and each thread's first band
     * recomputes its halo): the fused node against the unfused graph in the Java engine, and the
     * exported model against the original in ONNX Runtime.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void matchesTheUnfusedBlockAndOnnxRuntime(int cin, int mid, int cout, int h, int w, int stride, boolean expand, boolean residual) {
        int opset = residual ? 11 : 9;
        Net n = new Net("t", opset, cin * 31L + h);
        Value x = n.input("x", 1, cin, h, w);
        Graph g = n.out(block(n, x, cin, mid, cout, stride, expand, residual, opset));
        Graph unfused = unfused(g);
        PassManager.Result r = OrtCheck.apply(unfused, new FuseInvertedResidual());
        assertEquals(Map.of(IR, 1), r.graph().opHistogram(), "no fusion: " + r.steps());
        assertEquals(residual ? 1L : 0L, r.graph().nodes().get(0).attrInt("residual", 0));
        Map<String, Tensor> in = Equivalence.randomInputs(g, 3, 1);
        String old = System.getProperty(InvertedResidual.BAND_BYTES_PROPERTY);
        try {
            for (long bandBytes : new long[] {1 << 30, 4L * mid * 3 * w, 4L * mid * 9 * w}) {
                System.setProperty(InvertedResidual.BAND_BYTES_PROPERTY, Long.toString(bandBytes));
                for (int threads : new int[] {1, 2}) {
                    Tensor want, got;
                    try (Executor a = new Executor(unfused, threads); Executor b = new Executor(r.graph(), threads)) {
                        want = a.run(in).values().iterator().next();
                        got = b.run(in).values().iterator().next();
                    }
                    double e = Equivalence.compare("y", want, got).maxRel();
                    assertTrue(e <= 1e-5, "band bytes " + bandBytes + ", " + threads + " thread(s): fused differs by " + e);
                }
            }
        } finally {
            if (old == null) System.clearProperty(InvertedResidual.BAND_BYTES_PROPERTY);
            else System.setProperty(InvertedResidual.BAND_BYTES_PROPERTY, old);
        }
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    /**
     * A selection rule: of a stride-2 block without expansion, a stride-1 residual block, a
     * stride-1 block without residual and a stride-2 expanding block, the pass with the STRIDE2
     * rule fuses only the last; without a rule it fuses all four. Both match the original in ONNX Runtime. (The unexpanded
     * block comes first: after another block, that block's unclamped projection would be its
     * expansion.)
     */
    @Test
    void fusesOnlyTheStride2ExpandingBlocks() {
        Net n = new Net("t", 13, 7);
        Value x = n.input("x", 1, 8, 16, 16);
        Value y = block(n, x, 8, 8, 8, 2, false, false, 13);
        y = block(n, y, 8, 24, 8, 1, true, true, 13);
        y = block(n, y, 8, 24, 12, 1, true, false, 13);
        Graph g = n.out(block(n, y, 12, 36, 16, 2, true, false, 13));
        Graph unfused = unfused(g);
        PassManager.Result r = OrtCheck.apply(unfused, new FuseInvertedResidual(FuseInvertedResidual.STRIDE2));
        assertEquals(1, r.context().changes().size(), r.steps().toString());
        List<Node> fused = r.graph().nodes().stream().filter(b -> b.opType().equals(IR)).toList();
        assertEquals(1, fused.size());
        assertArrayEquals(new long[] {2, 2}, fused.get(0).attrInts("strides", null));
        assertTrue(fused.get(0).hasInput(1), "the fused block has its expansion");
        assertEquals(16, fused.get(0).output(0).shape().dim(1).value(), "the last block's projection");
        // The stride-1 and unexpanded blocks stay as their FusedConv/Conv/Add chains.
        assertEquals(Map.of(IR, 1, "FusedConv", 5, "Conv", 3, "Add", 1), r.graph().opHistogram());
        PassManager.Result all = OrtCheck.apply(unfused, new FuseInvertedResidual());
        assertEquals(Map.of(IR, 4), all.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 1e-5);
        OrtCheck.assertSame(g, all.graph(), 1e-5);
    }

    @Test
    void fusesDepthwiseAndProjectionWhenTheExpansionIsNotAClamp() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 1, 6, 8, 8);
        Value e = n.op("Sigmoid", n.conv(x, 6, 12, 1));
        Graph g = n.out(block(n, e, 12, 12, 12, 1, false, true, 13));
        PassManager.Result r = optimize(g);
        assertEquals(Map.of("FusedConv", 1, IR, 1), r.graph().opHistogram());
        assertEquals(1L, r.graph().nodes().get(1).attrInt("residual", 0));
        assertTrue(!r.graph().nodes().get(1).hasInput(1), "no expansion weight");
        OrtCheck.assertSame(g, r.graph(), 1e-5);
    }

    @Test
    void leavesTheGraphUnchangedWhenAPreconditionFails() {
        // The depthwise output is also a graph output: it must stay.
        Net n = new Net("t", 13, 5);
        Value x = n.input("x", 1, 4, 8, 8);
        Value e = relu6(n, n.conv(x, 4, 12, 1), 13);
        Value d = relu6(n, n.op("Conv", a("group", 12, "pads", new long[] {1, 1, 1, 1}), e, n.rand(-1, 1, 12, 1, 3, 3)), 13);
        Graph g1 = n.out(n.conv(d, 12, 4, 1), d);
        // A 5x5 depthwise window, and a projection with padding.
        Net m = new Net("u", 13, 6);
        Value y = m.input("x", 1, 4, 8, 8);
        Value d5 = relu6(m, m.op("Conv", a("group", 4, "pads", new long[] {2, 2, 2, 2}), y, m.rand(-1, 1, 4, 1, 5, 5)), 13);
        Value d3 = relu6(m, m.op("Conv", a("group", 4, "pads", new long[] {1, 1, 1, 1}), m.conv(d5, 4, 4, 1), m.rand(-1, 1, 4, 1, 3, 3)), 13);
        Graph g2 = m.out(m.op("Conv", a("pads", new long[] {1, 1, 1, 1}), d3, m.rand(-1, 1, 4, 4, 3, 3)));
        for (Graph g : List.of(g1, g2)) {
            Graph before = unfused(g);
            PassManager.Result r = OrtCheck.apply(before, new FuseInvertedResidual());
            assertEquals(before.opHistogram(), r.graph().opHistogram());
            assertTrue(r.context().changes().isEmpty());
        }
    }
}
