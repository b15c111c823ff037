package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds a one-node model, runs it in the Java engine and in ONNX Runtime, and compares every
 * output. Graph inputs may declare a symbolic batch ({@code N}) so shape inference is exercised
 * with the batch unknown; ORT then sees the same symbolic model.
 */
final class SingleNodeOracle {
    private final String op;
    private final int opset;
    private final Map<String, Attribute> attrs = new LinkedHashMap<>();
    private final List<Object[]> inputs = new ArrayList<>(); // {name, Tensor, Boolean constant, Boolean symbolicBatch}
    private int outputs = 1;
    private double rtol = 1e-4, atol = 1e-5;

    SingleNodeOracle(String op, int opset) {
        this.op = op;
        this.opset = opset;
    }

    SingleNodeOracle attr(String k, long v) { attrs.put(k, Attribute.of(v)); return this; }
    SingleNodeOracle attr(String k, float v) { attrs.put(k, Attribute.of(v)); return this; }
    SingleNodeOracle attr(String k, String v) { attrs.put(k, Attribute.of(v)); return this; }
    SingleNodeOracle ints(String k, long... v) { attrs.put(k, Attribute.of(v)); return this; }
    SingleNodeOracle attrFloats(String k, float... v) { attrs.put(k, Attribute.of(v)); return this; }

    /** A graph input whose first dim is declared as the symbol N. */
    SingleNodeOracle input(Tensor t) { inputs.add(new Object[] {"in" + inputs.size(), t, false, true}); return this; }

    /** A graph input with a fully static declared shape. */
    SingleNodeOracle staticInput(Tensor t) { inputs.add(new Object[] {"in" + inputs.size(), t, false, false}); return this; }

    /** An initializer. */
    SingleNodeOracle constant(Tensor t) { inputs.add(new Object[] {"in" + inputs.size(), t, true, false}); return this; }

    /** An omitted optional input. */
    SingleNodeOracle absent() { inputs.add(null); return this; }

    SingleNodeOracle outputs(int n) { outputs = n; return this; }

    SingleNodeOracle tolerance(double rtol, double atol) { this.rtol = rtol; this.atol = atol; return this; }

    Graph graph() {
        Graph g = new Graph(op.toLowerCase() + "_oracle");
        g.setOpset(opset);
        List<Value> ins = new ArrayList<>();
        for (Object[] in : inputs) {
            if (in == null) { ins.add(null); continue; }
            Tensor t = (Tensor) in[1];
            if ((Boolean) in[2]) { ins.add(g.addInitializer((String) in[0], t)); continue; }
            Dim[] d = t.staticShape().dims();
            if ((Boolean) in[3] && d.length > 0) d[0] = Dim.sym("N");
            ins.add(g.addInput((String) in[0], new TensorType(t.dtype(), Shape.of(d))));
        }
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add("out" + i);
        Node n = g.addNode(op, "node", ins, outs);
        attrs.forEach(n::setAttr);
        for (int i = 0; i < outputs; i++) g.addOutput(n.output(i));
        ShapeInference.annotate(g, null);
        return g;
    }

    /** Runs both engines; returns the Java outputs after checking they match ORT's. */
    Tensor[] check() {
        Graph g = graph();
        List<Tensor> feed = new ArrayList<>();
        for (Object[] in : inputs) if (in != null && !(Boolean) in[2]) feed.add((Tensor) in[1]);
        Tensor[] f = feed.toArray(new Tensor[0]);
        Tensor[] java;
        try (Executor ex = new Executor(g, 2)) {
            java = ex.run(f);
        }
        Tensor[] ort;
        try (OrtRunner r = new OrtRunner(g, 1, OrtRunner.OptLevel.NONE)) {
            ort = r.run(f);
        }
        assertEquals(ort.length, java.length);
        for (int i = 0; i < ort.length; i++) {
            // ORT's Java API has no uint16: it hands uint16 outputs back as int16 with the same bits.
            if (ort[i].dtype() == DType.INT16 && java[i].dtype() == DType.UINT16) ort[i] = Tensor.of(DType.UINT16, ort[i].shorts(), ort[i].shape());
            assertNull(Conformance.compare(ort[i], java[i], rtol, atol), op + " output " + i + " " + attrs);
        }
        return java;
    }

    static Tensor randn(long seed, int... shape) {
        Random r = new Random(seed);
        float[] a = new float[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        return Tensor.of(a, shape);
    }

    static Tensor uniform(long seed, float lo, float hi, int... shape) {
        Random r = new Random(seed);
        float[] a = new float[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * r.nextFloat();
        return Tensor.of(a, shape);
    }

    static Tensor bytes(long seed, DType dt, int... shape) {
        Random r = new Random(seed);
        byte[] a = new byte[Tensor.numel(shape)];
        r.nextBytes(a);
        return Tensor.of(dt, a, shape);
    }
}
