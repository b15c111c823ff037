package dev.edgeopt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A QDQ graph is costed as the integer kernels a deployment fuses it into. */
class QdqWorkloadTest {
    static Value node(Graph g, String op, String out, TensorType t, Value... ins) {
        Node n = g.addNode(op, out, List.of(ins), List.of(out));
        n.output(0).setType(t);
        return n.output(0);
    }

    /** x(float) -> Q -> DQ -> Conv(DQ(w int8)) -> Q -> DQ -> Relu -> Q -> y(int8). */
    static Graph qdqConv() {
        Graph g = new Graph("qdq");
        TensorType xf = TensorType.of(DType.FLOAT, 1, 3, 8, 8), xq = TensorType.of(DType.INT8, 1, 3, 8, 8);
        TensorType cf = TensorType.of(DType.FLOAT, 1, 4, 8, 8), cq = TensorType.of(DType.INT8, 1, 4, 8, 8);
        Value x = g.addInput("x", xf);
        Value s = g.addInitializer("s", Tensor.scalar(0.1f));
        Value z = g.addInitializer("z", Tensor.of(DType.INT8, new byte[] {0}));
        Value w = g.addInitializer("w_q", Tensor.allocate(DType.INT8, 4, 3, 3, 3));
        Value b = g.addInitializer("b", Tensor.allocate(DType.INT32, 4));
        Value xqv = node(g, "QuantizeLinear", "x_q", xq, x, s, z);
        Value xd = node(g, "DequantizeLinear", "x_dq", xf, xqv, s, z);
        Value wd = node(g, "DequantizeLinear", "w_dq", TensorType.of(DType.FLOAT, 4, 3, 3, 3), w, s, z);
        Value bd = node(g, "DequantizeLinear", "b_dq", TensorType.of(DType.FLOAT, 4), b, s);
        Value c = node(g, "Conv", "c", cf, xd, wd, bd);
        c.producer().setAttr("pads", Attribute.of(new long[] {1, 1, 1, 1}));
        Value cqv = node(g, "QuantizeLinear", "c_q", cq, c, s, z);
        Value cd = node(g, "DequantizeLinear", "c_dq", cf, cqv, s, z);
        Value r = node(g, "Relu", "r", cf, cd);
        Value y = node(g, "QuantizeLinear", "y", cq, r, s, z);
        g.addOutput(y);
        return g;
    }

    @Test
    void qdqFusesIntoIntegerLayers() {
        Graph g = qdqConv();
        Device coral = DeviceCatalog.builtin().require("CoralDevBoard");
        DeviceAnalysis.Report rep = DeviceAnalysis.analyze(g, "qdq", coral, Value::type, Value::isConstant, TinyModels.MACS);
        List<Layer> ls = rep.layers().stream().map(DeviceAnalysis.LayerReport::layer).toList();
        assertEquals(List.of("QuantizeLinear", "Conv", "Relu"), ls.stream().map(Layer::op).toList());
        assertEquals(List.of("int8", "int8", "int8"), ls.stream().map(Layer::dtype).toList());
        Layer conv = ls.get(1);
        assertEquals(4 * 8 * 8 * 27, conv.macs());
        assertEquals(3 * 64, conv.inBytes());
        assertEquals(4 * 64, conv.outBytes());
        assertEquals(108 + 16, conv.weightBytes());
        assertEquals(List.of("c_q"), conv.outputs());
        assertEquals(List.of("c_q"), ls.get(2).inputs());
        // Weights: int8 kernel, int32 bias, and the two scalar quantization parameters.
        assertEquals(108 + 16 + 4 + 1, rep.weightBytes());
        // Everything is int8 and supported: one Edge TPU partition; the float input goes in, y comes out.
        assertEquals(3, rep.partition().acceleratedCount());
        assertEquals(1, rep.partition().partitions().size());
        assertEquals(3 * 64 * 4 + 4 * 64, rep.partition().transferBytes());
        // Arena in the deployed form: x (768 B float) and x_q (192 B) at step 0, then int8 tensors only:
        // x_q + c_q (192 + 256) at the Conv, c_q = r (in place) = y (fused Q) afterwards.
        assertEquals(3 * 64 * 4 + 3 * 64, rep.arenaLowerBound());
    }
}
