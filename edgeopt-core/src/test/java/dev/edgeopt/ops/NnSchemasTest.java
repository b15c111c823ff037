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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shape inference of the NN and quantize ops with a symbolic batch, and their one-line errors. */
class NnSchemasTest {
    static final Shape NCHW = Shape.of(Dim.sym("N"), Dim.of(3), Dim.of(10), Dim.of(9));

    /** Builds one node over an input of {@code xShape} plus constants, and infers its outputs. */
    static List<String> infer(int opset, String op, Shape xShape, int outs, List<Tensor> consts, Object... attrs) {
        Graph g = new Graph("t");
        g.setOpset(opset);
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", new TensorType(DType.FLOAT, xShape)));
        for (int i = 0; i < consts.size(); i++) ins.add(consts.get(i) == null ? null : g.addInitializer("c" + i, consts.get(i)));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < outs; i++) names.add("y" + i);
        Node n = g.addNode(op, "n1", ins, names);
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            n.setAttr((String) attrs[i], v instanceof long[] l ? Attribute.of(l) : v instanceof String s ? Attribute.of(s)
                    : v instanceof Float f ? Attribute.of(f) : Attribute.of((Long) v));
        }
        for (int i = 0; i < outs; i++) g.addOutput(n.output(i));
        ShapeInference.annotate(g, null);
        List<String> r = new ArrayList<>();
        for (int i = 0; i < outs; i++) r.add(n.output(i).type().toString());
        return r;
    }

    @Test
    void poolsKeepTheSymbolicBatch() {
        assertEquals(List.of("float32[N,3,5,5]", "int64[N,3,5,5]"), infer(12, "MaxPool", NCHW, 2, List.of(),
                "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}));
        assertEquals(List.of("float32[N,3,5,5]"), infer(11, "AveragePool", NCHW, 1, List.of(),
                "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}, "ceil_mode", 1L));
        assertEquals(List.of("float32[N,3,4,3]"), infer(11, "AveragePool", NCHW, 1, List.of(),
                "kernel_shape", new long[] {3, 3}, "strides", new long[] {3, 3}, "auto_pad", "SAME_UPPER"));
        assertEquals(List.of("float32[N,3,1,1]"), infer(13, "GlobalAveragePool", NCHW, 1, List.of()));
        // An unknown spatial size gives an unknown output size, not a failure.
        Shape hw = Shape.of(Dim.sym("N"), Dim.of(3), Dim.sym("H"), Dim.of(9));
        assertEquals(List.of("float32[N,3,?,4]"), infer(12, "MaxPool", hw, 1, List.of(),
                "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}));
    }

    @Test
    void normsResizeAndQuantize() {
        Tensor c3 = Tensor.of(new float[] {1, 2, 3}, 3);
        assertEquals(List.of("float32[N,3,10,9]", "float32[3]", "float32[3]"), infer(15, "BatchNormalization", NCHW, 3,
                List.of(c3, c3, c3, c3), "training_mode", 1L));
        assertEquals(List.of("float32[N,3,10,9]", "float32[N,3,1,1]", "float32[N,3,1,1]"),
                infer(17, "LayerNormalization", NCHW, 3, List.of(Tensor.of(new float[90], 10, 9)), "axis", 2L));
        Tensor roi = Tensor.of(new float[0], 0);
        assertEquals(List.of("float32[N,3,20,4]"), infer(13, "Resize", NCHW, 1,
                List.of(roi, Tensor.of(new float[] {1, 1, 2, 0.5f}, 4))));
        assertEquals(List.of("float32[N,3,7,7]"), infer(18, "Resize", NCHW, 1,
                List.of(roi, Tensor.of(new float[0], 0), Tensor.vector(7L, 7L)), "axes", new long[] {2, 3}));
        Tensor zp = Tensor.of(DType.INT8, new byte[] {1}, new int[0]);
        assertEquals(List.of("int8[N,3,10,9]"), infer(13, "QuantizeLinear", NCHW, 1, List.of(Tensor.of(new float[] {0.1f}, new int[0]), zp)));
        assertEquals(List.of("uint8[N,3,10,9]", "float32[]", "uint8[]"), infer(11, "DynamicQuantizeLinear", NCHW, 3, List.of()));
    }

    static String error(Runnable r) {
        String m = assertThrows(EdgeoptException.class, r::run).getMessage();
        assertTrue(m.startsWith("node n1 ("), m);
        assertTrue(!m.contains("\n"), m);
        return m;
    }

    @Test
    void badAttributesAreOneLineErrorsNamingTheNode() {
        assertTrue(error(() -> infer(12, "MaxPool", NCHW, 1, List.of())).contains("kernel_shape is required"));
        assertTrue(error(() -> infer(12, "MaxPool", NCHW, 1, List.of(), "kernel_shape", new long[] {3})).contains("spatial dims"));
        assertTrue(error(() -> infer(12, "MaxPool", NCHW, 1, List.of(), "kernel_shape", new long[] {2, 2}, "auto_pad", "SAME"))
                .contains("unknown auto_pad"));
        assertTrue(error(() -> infer(12, "AveragePool", NCHW, 1, List.of(), "kernel_shape", new long[] {20, 2})).contains("larger than"));
        Tensor c2 = Tensor.of(new float[] {1, 2}, 2);
        assertTrue(error(() -> infer(15, "BatchNormalization", NCHW, 1, List.of(c2, c2, c2, c2))).contains("channels"));
        assertTrue(error(() -> infer(13, "Resize", NCHW, 1, List.of(Tensor.of(new float[0], 0), Tensor.of(new float[] {1, 2}, 2))))
                .contains("scales has 2 values"));
        assertTrue(error(() -> infer(13, "QuantizeLinear", NCHW, 1, List.of(Tensor.of(new float[] {1, 2}, 2)))).contains("scale has 2 values"));
    }
}
