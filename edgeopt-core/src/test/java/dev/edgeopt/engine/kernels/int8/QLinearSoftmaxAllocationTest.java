package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * QLinearSoftmax allocates nothing per inference beyond what Executor.run allocates for any model:
 * measured through Executor.run (the kernel compiled in its real calling context) against a
 * QLinearSigmoid model (a table lookup) with the same input and output, for contiguous and strided
 * rows.
 */
class QLinearSoftmaxAllocationTest {
    private static Graph model(String op, int[] shape, long axis) {
        Graph g = new Graph(op);
        g.opsetImports().put("com.microsoft", 1L);
        Value x = g.addInput("x", TensorType.of(DType.INT8, shape));
        List<Value> ins = List.of(x, g.addInitializer("xs", Tensor.of(new float[] {0.03f})), g.addInitializer("xz", Tensor.of(DType.INT8, new byte[] {2})),
                g.addInitializer("ys", Tensor.of(new float[] {1f / 256})), g.addInitializer("yz", Tensor.of(DType.INT8, new byte[] {-128})));
        Node n = g.insertNode(0, op, "com.microsoft", "n", ins, List.of("y"));
        if (op.equals("QLinearSoftmax")) {
            n.setAttr("axis", Attribute.of(axis));
            n.setAttr("opset", Attribute.of(13L));
        }
        g.addOutput(n.output(0));
        ShapeInference.annotate(g, null);
        return g;
    }

    @Test
    void steadyStateAllocatesOnlyWhatEveryRunDoes() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (int[] shape : new int[][] {{16, 10}, {2, 10, 6}}) {
            long axis = shape.length == 2 ? -1 : 1;
            byte[] a = new byte[Tensor.numel(shape)];
            java.util.SplittableRandom r = new java.util.SplittableRandom(3);
            for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(256);
            Tensor x = Tensor.of(DType.INT8, a, shape);
            try (Executor sm = new Executor(model("QLinearSoftmax", shape, axis), 1); Executor base = new Executor(model("QLinearSigmoid", shape, axis), 1)) {
                assertEquals(1, sm.run(x).length);
                long extra = -1;
                for (int i = 0; i < 200_000 && extra != 0; i++) {
                    long b0 = mx.getThreadAllocatedBytes(tid);
                    sm.run(x);
                    long b1 = mx.getThreadAllocatedBytes(tid);
                    base.run(x);
                    long b2 = mx.getThreadAllocatedBytes(tid);
                    extra = (b1 - b0) - (b2 - b1);
                }
                assertTrue(extra == 0, "QLinearSoftmax " + java.util.Arrays.toString(shape) + " still allocates " + extra + " bytes more than a lookup");
            }
        }
    }
}
