package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** remove-noops, eliminate-dead-code, fold-constants, collapse-transposes, collapse-reshapes. */
class CleanupPassesTest {
    @Test
    void removesIdentityDropoutCastAndIdentityTransposeKeepingOutputNames() {
        Net n = new Net("t", 13, 1);
        Value x = n.input("x", 2, 3);
        Value y = n.op("Identity", n.op("Identity", x));
        Value d = n.op("Dropout", n.op("Relu", y));
        Value c = n.op("Cast", a("to", 1), x);
        Value t = n.op("Transpose", a("perm", new long[] {0, 1}), n.op("Add", d, c));
        Value out = n.op("Identity", t);
        Graph g = n.out(out, n.op("Identity", x));
        var r = OrtCheck.apply(g, new RemoveNoOps());
        // The Identity of the graph input must stay: nothing else can carry that output name.
        assertEquals(Map.of("Relu", 1, "Add", 1, "Identity", 1), r.graph().opHistogram());
        assertEquals(out.name(), r.graph().outputs().get(0).name());
        assertEquals(6, r.steps().get(0).changeCount());
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void keepsDropoutInTrainingModeAndRealCasts() {
        Net n = new Net("t", 13, 2);
        Value x = n.input("x", 2, 3);
        Value d = n.op("Dropout", n.op("Relu", x), n.scalar(0.5f), n.g.addInitializer("tm", dev.edgeopt.tensor.Tensor.ofBools(new boolean[] {true})));
        Value c = n.op("Cast", a("to", 7), d);
        Graph g = n.out(c);
        var r = OrtCheck.apply(g, new RemoveNoOps());
        assertEquals(g.opHistogram(), r.graph().opHistogram());
    }

    @Test
    void removesDeadNodesAndUnusedInitializers() {
        Net n = new Net("t", 13, 3);
        Value x = n.input("x", 2, 3);
        n.op("Relu", n.op("Add", x, n.rand(0, 1, 3)));
        n.rand(0, 1, 5);
        Value y = n.op("Relu", x);
        Graph g = n.out(y);
        var r = OrtCheck.apply(g, new EliminateDeadCode());
        assertEquals(Map.of("Relu", 1), r.graph().opHistogram());
        assertEquals(0, r.graph().initializers().size());
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void foldsConstantArithmeticAndStaticShape() {
        Net n = new Net("t", 13, 4);
        Value x = n.input("x", 2, 3, 4);
        Value k = n.op("Add", n.rand(0, 1, 4), n.rand(0, 1, 4));
        Value s = n.op("Shape", x);
        // Shape arithmetic as exporters write it: [2, 3, 4] + [0, 0, 0] feeding a Reshape.
        Value shape = n.op("Add", s, n.longs(0, 0, 0));
        Value y = n.op("Reshape", n.op("Add", x, k), shape);
        Graph g = n.out(y);
        var r = OrtCheck.apply(g, new FoldConstants(), new EliminateDeadCode());
        assertEquals(Map.of("Add", 1, "Reshape", 1), r.graph().opHistogram());
        Node reshape = r.graph().nodes().get(1);
        assertTrue(reshape.input(1).isConstant());
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void foldsShapeGatherUnsqueezeConcatSubgraphs() {
        KernelRegistry k = KernelRegistry.standard();
        Assumptions.assumeTrue(k.find("", "Gather") != null && k.find("", "Unsqueeze") != null && k.find("", "Concat") != null,
                "needs the shape-op kernels (shapeops branch)");
        Net n = new Net("t", 13, 5);
        Value x = n.input("x", 2, 3, 4);
        Value batch = n.op("Unsqueeze", n.op("Gather", a("axis", 0), n.op("Shape", x), n.g.addInitializer("zero", dev.edgeopt.tensor.Tensor.scalarLong(0))), n.longs(0));
        Value shape = n.op("Concat", a("axis", 0), batch, n.longs(-1));
        Graph g = n.out(n.op("Reshape", x, shape));
        var r = OrtCheck.apply(g, new FoldConstants(), new EliminateDeadCode());
        assertEquals(Map.of("Reshape", 1), r.graph().opHistogram());
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void foldsShapeEntriesThatAreKnownUnderASymbolicBatch() {
        Net n = new Net("t", 13, 8);
        Value x = n.g.addInput("x", new dev.edgeopt.ir.TensorType(dev.edgeopt.ir.DType.FLOAT,
                dev.edgeopt.ir.Shape.of(dev.edgeopt.ir.Dim.sym("N"), dev.edgeopt.ir.Dim.of(3), dev.edgeopt.ir.Dim.of(4))));
        Value shape = n.op("Shape", x);
        Value ch = n.op("Unsqueeze", n.op("Gather", a("axis", 0), shape, n.g.addInitializer("one", dev.edgeopt.tensor.Tensor.scalarLong(1))), n.longs(0));
        Value batch = n.op("Unsqueeze", n.op("Gather", a("axis", 0), shape, n.g.addInitializer("zero", dev.edgeopt.tensor.Tensor.scalarLong(0))), n.longs(0));
        Value y = n.op("Reshape", x, n.op("Concat", a("axis", 0), batch, ch, n.longs(-1)));
        Graph g = n.out(y);
        var r = OrtCheck.apply(g, new FoldConstants(), new EliminateDeadCode());
        // The channel entry becomes a constant; the batch entry stays computed.
        assertEquals(Map.of("Shape", 1, "Gather", 1, "Unsqueeze", 1, "Concat", 1, "Reshape", 1), r.graph().opHistogram());
        Node concat = r.graph().nodes().stream().filter(q -> q.opType().equals("Concat")).findFirst().orElseThrow();
        assertTrue(concat.input(1).isConstant());
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void collapsesTransposePairsAndReshapePairs() {
        Net n = new Net("t", 13, 6);
        Value x = n.input("x", 2, 3, 4, 5);
        Value t1 = n.op("Transpose", a("perm", new long[] {0, 2, 3, 1}), x);
        Value t2 = n.op("Transpose", a("perm", new long[] {0, 3, 1, 2}), t1);
        Value u1 = n.op("Transpose", a("perm", new long[] {1, 0, 2, 3}), n.op("Relu", t2));
        Value u2 = n.op("Transpose", a("perm", new long[] {0, 2, 1, 3}), u1);
        Value r1 = n.op("Reshape", u2, n.longs(6, -1));
        Value r2 = n.op("Reshape", r1, n.longs(3, 2, 20));
        Graph g = n.out(r2);
        var r = OrtCheck.apply(g, new CollapseTransposes(), new CollapseReshapes());
        assertEquals(Map.of("Relu", 1, "Transpose", 1, "Reshape", 1), r.graph().opHistogram());
        Node t = r.graph().nodes().stream().filter(q -> q.opType().equals("Transpose")).findFirst().orElseThrow();
        assertEquals("[1, 2, 0, 3]", java.util.Arrays.toString(t.attrInts("perm", null)));
        OrtCheck.assertSame(g, r.graph(), 0);
    }

    @Test
    void keepsReshapeWhoseShapeCopiesIntermediateDims() {
        Net n = new Net("t", 13, 7);
        Value x = n.input("x", 2, 3, 4);
        Value r1 = n.op("Reshape", x, n.longs(6, 4));
        Graph g = n.out(n.op("Reshape", r1, n.longs(0, 2, 2)));
        var r = OrtCheck.apply(g, new CollapseReshapes());
        assertEquals(Map.of("Reshape", 2), r.graph().opHistogram());
        assertNull(RemoveNoOps.noOpReason(r.graph().nodes().get(0)));
        assertNotNull(r.graph().outputs().get(0));
    }
}
