package dev.edgeopt.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
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

/** Type and shape inference of the elementwise and reduce families, with symbolic dims and opset differences. */
class ElementwiseReduceSchemasTest {
    static final TensorType NCHW = new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.of(3), Dim.of(8), Dim.of(8)));

    /** Infers one node over inputs given as types (null entries are absent) or constants. */
    static TensorType[] infer(String op, int opset, List<Object> inputs, String attr, Attribute value) {
        Graph g = new Graph("t");
        g.setOpset(opset);
        Value[] ins = new Value[inputs.size()];
        for (int i = 0; i < ins.length; i++) {
            Object o = inputs.get(i);
            if (o instanceof TensorType t) ins[i] = g.addInput("x" + i, t);
            else if (o instanceof Tensor t) ins[i] = g.addInitializer("c" + i, t);
        }
        Node n = g.addNode(op, "n", Arrays.asList(ins), op.equals("TopK") ? 2 : 1);
        if (attr != null) n.setAttr(attr, value);
        for (Value v : n.outputs()) g.addOutput(v);
        ShapeInference.Result r = ShapeInference.annotate(g, null);
        return n.outputs().stream().map(r::type).toArray(TensorType[]::new);
    }

    @Test
    void broadcastingKeepsSymbols() {
        TensorType c = new TensorType(DType.FLOAT, Shape.of(3, 1, 1));
        assertEquals("[N,3,8,8]", infer("Add", 17, List.of(NCHW, c), null, null)[0].shape().toString());
        assertEquals(DType.BOOL, infer("Less", 17, List.of(NCHW, c), null, null)[0].dtype());
        TensorType bad = new TensorType(DType.FLOAT, Shape.of(5));
        assertThrows(EdgeoptException.class, () -> infer("Mul", 17, List.of(NCHW, bad), null, null));
        TensorType i64 = new TensorType(DType.INT64, Shape.of(3, 1, 1));
        assertThrows(EdgeoptException.class, () -> infer("Add", 17, List.of(NCHW, i64), null, null));
        TensorType cond = new TensorType(DType.BOOL, Shape.of(Dim.sym("N"), Dim.of(1), Dim.of(1), Dim.of(1)));
        assertEquals("float32[N,3,8,8]", infer("Where", 17, List.of(cond, NCHW, c), null, null)[0].toString());
        assertEquals("int64[N,3,8,8]", infer("Cast", 17, List.of(NCHW), "to", Attribute.of(7L))[0].toString());
    }

    @Test
    void shapeArithmeticKeepsSymbolicContents() {
        Graph g = new Graph("t");
        g.setOpset(17);
        Node shape = g.addNode("Shape", "shape", List.of(g.addInput("x", NCHW)), 1);
        Node mul = g.addNode("Mul", "mul", List.of(shape.output(0), g.addInitializer("k", Tensor.vector(1L, 2L, 2L, 2L))), 1);
        Node sub = g.addNode("Sub", "sub", List.of(mul.output(0), g.addInitializer("one", Tensor.vector(0L, 1L, 0L, 16L))), 1);
        Node cast = g.addNode("Cast", "cast", List.of(sub.output(0)), 1);
        cast.setAttr("to", Attribute.of(6L));
        g.addOutput(cast.output(0));
        ShapeInference.Result r = ShapeInference.annotate(g, null);
        assertEquals("[N, 6, 16, 16]", Arrays.toString(r.shapeValues.get(mul.output(0))));
        Dim[] s = r.shapeValues.get(cast.output(0));
        assertEquals("N", s[0].symbol());
        assertEquals(5, s[1].value());
        assertEquals(16, s[2].value());
        assertEquals(0, s[3].value());
    }

    @Test
    void reduceAxesFromAttributeOrInputByOpset() {
        assertEquals("[N,3,1,1]", infer("ReduceMean", 13, List.of(NCHW), "axes", Attribute.of(new long[] {2, -1}))[0].shape().toString());
        Graph g = new Graph("t");
        g.setOpset(17);
        Node n = g.addNode("ReduceMax", "n", List.of(g.addInput("x", NCHW)), 1);
        n.setAttr("axes", Attribute.of(new long[] {2, 3}));
        n.setAttr("keepdims", Attribute.of(0L));
        g.addOutput(n.output(0));
        assertEquals("[N,3]", ShapeInference.annotate(g, null).type(n.output(0)).shape().toString());
        // ReduceSum takes axes as an input from opset 13; ReduceMean from opset 18.
        assertEquals("[N,1,8,1]", infer("ReduceSum", 13, List.of(NCHW, Tensor.vector(1L, 3L)), null, null)[0].shape().toString());
        assertEquals("[1,1,1,1]", infer("ReduceSum", 13, List.of(NCHW), null, null)[0].shape().toString());
        assertEquals("[N,3,8,8]", infer("ReduceSum", 13, List.of(NCHW), "noop_with_empty_axes", Attribute.of(1L))[0].shape().toString());
        assertEquals("[N,8]", infer("ReduceMean", 18, List.of(NCHW, Tensor.vector(1L, -1L)), "keepdims", Attribute.of(0L))[0].shape().toString());
        // Unknown axes: the rank survives with keepdims, the dims do not.
        TensorType axes = new TensorType(DType.INT64, Shape.of(2));
        TensorType t = infer("ReduceSum", 13, List.of(NCHW, axes), null, null)[0];
        assertEquals(4, t.rank());
        assertTrue(t.shape().dim(0).isUnknown());
        assertEquals(2, infer("ReduceSum", 13, List.of(NCHW, axes), "keepdims", Attribute.of(0L))[0].rank());
        assertThrows(EdgeoptException.class, () -> infer("ReduceMean", 13, List.of(NCHW), "axes", Attribute.of(new long[] {4})));
    }

    @Test
    void argTopKAndSoftmax() {
        assertEquals("int64[N,1,8,8]", infer("ArgMax", 13, List.of(NCHW), "axis", Attribute.of(1L))[0].toString());
        assertEquals("int64[3,8,8]", infer("ArgMin", 13, List.of(NCHW), "keepdims", Attribute.of(0L))[0].toString());
        TensorType[] k = infer("TopK", 11, List.of(NCHW, Tensor.vector(5L)), null, null);
        assertEquals("float32[N,3,8,5]", k[0].toString());
        assertEquals("int64[N,3,8,5]", k[1].toString());
        TensorType[] kUnknown = infer("TopK", 11, List.of(NCHW, new TensorType(DType.INT64, Shape.of(1))), null, null);
        assertTrue(kUnknown[0].shape().dim(3).isUnknown());
        assertEquals("float32[N,3,8,8]", infer("Softmax", 11, List.of(NCHW), null, null)[0].toString());
        assertThrows(EdgeoptException.class, () -> infer("Softmax", 13, List.of(NCHW), "axis", Attribute.of(4L)));
    }
}
