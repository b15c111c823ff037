package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Unary ops on 8-bit tensors through a 256-entry table: {@code y = Q_out(f(DQ_in(x)))} for each of
 * the 256 inputs, computed at creation by the engine's own float kernel of {@code f}. The table is
 * therefore exactly what DequantizeLinear, the float op and QuantizeLinear compute in the Java
 * engine, and running it is one load per element.
 */
final class Lookup implements Kernel {
    private final byte[] table = new byte[256];

    /**
     * @param op the float op (default domain)
     * @param attrs its attributes
     * @param extra its constant inputs after x (e.g. Clip's min and max), starting at input 5
     */
    Lookup(KernelContext kc, String op, Map<String, Attribute> attrs, int extra) {
        DType xt = kc.inDtype(0);
        QParams.Scalar in = QParams.scalar(kc, 1, 2, xt), out = QParams.scalar(kc, 3, 4, kc.outDtype(0));
        float[] xs = new float[256];
        for (int b = 0; b < 256; b++) xs[b] = in.dequantize(QuantMath.at8(new byte[] {(byte) b}, 0, in.unsigned()));
        Graph g = new Graph("lut");
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", TensorType.of(DType.FLOAT, 256)));
        for (int i = 0; i < extra; i++) {
            int idx = 5 + i;
            if (!kc.hasInput(idx)) {
                ins.add(null);
                continue;
            }
            Tensor c = kc.constant(idx);
            if (c == null) throw kc.fail("input " + idx + " of the float op " + op + " must be a constant");
            ins.add(g.addInitializer("c" + i, c));
        }
        Node n = g.addNode(op, "f", ins, List.of("y"));
        for (var e : attrs.entrySet()) n.setAttr(e.getKey(), e.getValue());
        g.addOutput(n.output(0));
        float[] ys;
        try {
            dev.edgeopt.ops.ShapeInference.annotate(g, null);
            if (n.output(0).dtype() != DType.FLOAT) throw kc.fail(op + " does not map float32 to float32");
            try (Executor ex = new Executor(g, 1)) {
                ys = ex.run(Tensor.of(xs, 256))[0].toFloatArray();
            }
        } catch (dev.edgeopt.EdgeoptException e) {
            throw kc.fail("cannot tabulate " + op + ": " + e.getMessage());
        }
        if (ys.length != 256) throw kc.fail(op + " is not elementwise");
        for (int b = 0; b < 256; b++) table[b] = (byte) out.quantize(ys[b]);
    }

    /** The table, indexed by the input's bit pattern ({@code x & 0xFF}). */
    byte[] table() { return table.clone(); }

    @Override public void run(Tensor[] in, Tensor[] out) {
        byte[] x = in[0].bytes(), y = out[0].bytes();
        int xo = in[0].offset(), yo = out[0].offset(), n = out[0].size();
        for (int i = 0; i < n; i++) y[yo + i] = table[x[xo + i] & 0xFF];
    }
}
