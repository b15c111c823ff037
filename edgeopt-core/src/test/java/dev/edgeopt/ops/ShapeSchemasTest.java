package dev.edgeopt.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shape inference of the shape family with symbolic dims, and the shape-value chains of exported models. */
class ShapeSchemasTest {
    static Graph graph(int opset, Shape x) {
        Graph g = new Graph("t");
        g.setOpset(opset);
        g.addInput("x", new TensorType(DType.FLOAT, x));
        return g;
    }

    static Shape nx(long... rest) {
        Dim[] d = new Dim[rest.length + 1];
        d[0] = Dim.sym("N");
        for (int i = 0; i < rest.length; i++) d[i + 1] = Dim.of(rest[i]);
        return Shape.of(d);
    }

    static Value op(Graph g, String type, Value... ins) {
        return g.addNode(type, type.toLowerCase() + g.nodes().size(), Arrays.asList(ins), 1).output(0);
    }

    static Value opAttr(Graph g, String type, String key, Attribute a, Value... ins) {
        Node n = g.addNode(type, type.toLowerCase() + g.nodes().size(), Arrays.asList(ins), 1);
        n.setAttr(key, a);
        return n.output(0);
    }

    static Value c(Graph g, long... v) { return g.addInitializer(g.uniqueName("c"), Tensor.vector(v)); }

    static Value scalar(Graph g, long v) { return g.addInitializer(g.uniqueName("s"), Tensor.scalarLong(v)); }

    /** Infers the graph both plainly and with small-constant folding (as import does); both must agree. */
    static String infer(Graph g, Value v) {
        String plain = ShapeInference.run(g, new ShapeInference.Options()).type(v).toString();
        String folded = ShapeInference.run(g, new ShapeInference.Options().fold(Executor.evaluator(), 4096)).type(v).toString();
        assertEquals(plain, folded);
        return plain;
    }

    @Test
    void reshapeZeroAndMinusOneKeepsTheBatch() {
        Graph g = graph(14, nx(3, 4));
        Value y = op(g, "Reshape", g.value("x"), c(g, 0, -1));
        assertEquals("float32[N,12]", infer(g, y));
        Value z = op(g, "Reshape", g.value("x"), c(g, -1, 6));
        assertEquals("float32[2*N,6]", infer(g, z));
    }

    @Test
    void shapeGatherUnsqueezeConcatReshapeChain() {
        for (int opset : new int[] {11, 13, 17}) {
            Graph g = graph(opset, nx(3, 4));
            Value x = g.value("x");
            Value n = opAttr(g, "Gather", "axis", Attribute.of(0L), op(g, "Shape", x), scalar(g, 0));
            Value n1 = opset < 13 ? opAttr(g, "Unsqueeze", "axes", Attribute.ofInts(0), n) : op(g, "Unsqueeze", n, c(g, 0));
            Value shape = opAttr(g, "Concat", "axis", Attribute.of(0L), n1, c(g, -1));
            Value y = op(g, "Reshape", x, shape);
            assertEquals("float32[N,12]", infer(g, y), "opset " + opset);
            assertArrayEquals(new Dim[] {Dim.sym("N"), Dim.unknown()}, ShapeInference.run(g, new ShapeInference.Options()).shapeValues.get(shape));
        }
    }

    @Test
    void shapeSliceAndSizeChains() {
        Graph g = graph(15, nx(3, 4));
        Value x = g.value("x");
        Value lead = op(g, "Slice", op(g, "Shape", x), c(g, 0), c(g, 1));
        Value y = op(g, "Reshape", x, opAttr(g, "Concat", "axis", Attribute.of(0L), lead, c(g, -1)));
        assertEquals("float32[N,12]", infer(g, y));
        Value tail = opAttr(g, "Shape", "start", Attribute.of(-2L), x);
        Value prod = op(g, "Reshape", x, opAttr(g, "Concat", "axis", Attribute.of(0L), c(g, -1), tail));
        assertEquals("float32[N,3,4]", infer(g, prod));
        Value flat = op(g, "Reshape", x, op(g, "Unsqueeze", op(g, "Size", x), c(g, 0)));
        assertEquals("float32[12*N]", infer(g, flat));
        Node split = g.addNode("Split", "splitshape", List.of(op(g, "Shape", x), c(g, 1, 2)), 2);
        Value regrouped = op(g, "Reshape", x, opAttr(g, "Concat", "axis", Attribute.of(0L), split.output(1), split.output(0)));
        assertEquals("float32[3,4,N]", infer(g, regrouped));
        Value n = op(g, "Squeeze", split.output(0), c(g, 0));
        assertEquals("int64[N]", infer(g, op(g, "Range", scalar(g, 0), n, scalar(g, 1))));
        Value filled = op(g, "ConstantOfShape", op(g, "Shape", x));
        assertEquals("float32[N,3,4]", infer(g, filled));
        Value expanded = op(g, "Expand", g.addInitializer("one", Tensor.of(new float[] {1}, 1, 1)), op(g, "Shape", x));
        assertEquals("float32[N,3,4]", infer(g, expanded));
    }

    @Test
    void layoutOpsCarrySymbols() {
        Graph g = graph(13, nx(6, 4));
        Value x = g.value("x");
        assertEquals("float32[N,24]", infer(g, op(g, "Flatten", x)));
        assertEquals("float32[6*N,4]", infer(g, opAttr(g, "Flatten", "axis", Attribute.of(-1L), x)));
        assertEquals("float32[4,N,6]", infer(g, opAttr(g, "Transpose", "perm", Attribute.ofInts(2, 0, 1), x)));
        assertEquals("float32[N,1,6,4]", infer(g, op(g, "Unsqueeze", x, c(g, 1))));
        assertEquals("float32[N,6,4]", infer(g, op(g, "Squeeze", op(g, "Unsqueeze", x, c(g, -1)))));
        Node split = g.addNode("Split", "split", List.of(x), 2);
        split.setAttr("axis", Attribute.of(1L));
        assertEquals("float32[N,3,4]", infer(g, split.output(1)));
        Value sliced = op(g, "Slice", x, c(g, 0, 1), c(g, Long.MAX_VALUE, -1), c(g, 0, 2));
        assertEquals("float32[N,6,2]", infer(g, sliced));
        assertEquals("float32[?,6,4]", infer(g, op(g, "Slice", x, c(g, 1), c(g, 3))));
        assertEquals("float32[N,6,12]", infer(g, opAttr(g, "Concat", "axis", Attribute.of(2L), x, x, x)));
        assertEquals("float32[N,6,6]", infer(g, op(g, "Pad", x, c(g, 0, 0, 1, 0, 0, 1))));
        assertEquals("float32[?,12,4]", infer(g, op(g, "Pad", x, c(g, 1, 3, 0, 0, 3, 0))));
        assertEquals("float32[N,12,8]", infer(g, op(g, "Tile", x, c(g, 1, 2, 2))));
    }

    @Test
    void sizesAreStaticWhenValuesAreKnown() {
        Graph g = graph(13, Shape.of(2, 3));
        Value nz = op(g, "NonZero", g.addInitializer("m", Tensor.ofBools(new boolean[] {true, false, true, true}, 2, 2)));
        assertEquals("int64[2,3]", infer(g, nz));
        Value r = op(g, "Range", scalar(g, 1), scalar(g, 10), scalar(g, 3));
        assertEquals("int64[3]", infer(g, r));
        Value dyn = op(g, "NonZero", g.value("x"));
        assertEquals("int64[2,?]", infer(g, dyn));
        // A target shape of data-dependent length leaves even the rank unknown, without failing.
        Value target = g.addInput("t", new TensorType(DType.INT64, Shape.of(Dim.unknown())));
        Value y = op(g, "Reshape", g.value("x"), target);
        assertEquals(null, ShapeInference.run(g, new ShapeInference.Options()).type(y).shape());
    }

    @Test
    void invalidNodesFailNamingTheNode() {
        Graph g = graph(13, Shape.of(2, 3));
        op(g, "Reshape", g.value("x"), c(g, 4, 2));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> ShapeInference.run(g, new ShapeInference.Options()));
        assertTrue(e.getMessage().contains("reshape0 (Reshape)") && e.getMessage().contains("cannot reshape"), e.getMessage());

        Graph h = graph(13, Shape.of(2, 3));
        op(h, "Squeeze", h.value("x"), c(h, 0));
        e = assertThrows(EdgeoptException.class, () -> ShapeInference.run(h, new ShapeInference.Options()));
        assertTrue(e.getMessage().contains("squeeze0 (Squeeze)") && e.getMessage().contains("size 2"), e.getMessage());

        Graph k = graph(13, Shape.of(2, 3));
        opAttr(k, "Concat", "axis", Attribute.of(0L), k.value("x"), k.addInitializer("f", Tensor.vector(1f, 2f)));
        e = assertThrows(EdgeoptException.class, () -> ShapeInference.run(k, new ShapeInference.Options()));
        assertTrue(e.getMessage().contains("(Concat)") && e.getMessage().contains("rank"), e.getMessage());
    }
}
