package dev.edgeopt.onnx;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in benchmark ({@code -Dbench=true}): int8 softmax as QLinearSoftmax in the Java engine, as
 * DequantizeLinear -> float Softmax -> QuantizeLinear in the Java engine (what ran before it was
 * lowered), and QLinearSoftmax in ONNX Runtime, interleaved in one process. Prints; asserts nothing
 * about time.
 *
 * <pre>./mvnw -q -o -pl edgeopt-onnx -am test -Dtest=QLinearSoftmaxBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QLinearSoftmaxBench {
    private static Graph graph(boolean integer, int[] shape) {
        Graph g = new Graph("softmax");
        g.setOpset(13);
        g.opsetImports().put("com.microsoft", 1L);
        Value x = g.addInput("x", TensorType.of(DType.INT8, shape));
        Value xs = g.addInitializer("xs", Tensor.of(new float[] {0.05f})), xz = g.addInitializer("xz", Tensor.of(DType.INT8, new byte[] {1}));
        Value ys = g.addInitializer("ys", Tensor.of(new float[] {1f / 256})), yz = g.addInitializer("yz", Tensor.of(DType.INT8, new byte[] {-128}));
        Value y;
        if (integer) {
            Node n = g.insertNode(0, "QLinearSoftmax", "com.microsoft", "sm", List.of(x, xs, xz, ys, yz), List.of("y"));
            n.setAttr("axis", Attribute.of(-1L));
            n.setAttr("opset", Attribute.of(13L));
            y = n.output(0);
        } else {
            Value f = g.addNode("DequantizeLinear", "dq", List.of(x, xs, xz), List.of("f")).output(0);
            Value p = g.addNode("Softmax", "sm", List.of(f), List.of("p")).output(0);
            y = g.addNode("QuantizeLinear", "q", List.of(p, ys, yz), List.of("y")).output(0);
        }
        g.addOutput(y);
        ShapeInference.annotate(g, null);
        return g;
    }

    @Test
    void integerAgainstFloatPath() {
        for (int[] shape : new int[][] {{1, 10}, {64, 1000}, {8, 12, 197}}) {
            Tensor x = QLinearOrtTest.q8(7, DType.INT8, shape);
            try (Executor q = new Executor(graph(true, shape), 1); Executor f = new Executor(graph(false, shape), 1);
                 OrtRunner ort = new OrtRunner(graph(true, shape), 1, OrtRunner.OptLevel.ALL)) {
                long[] t = QLinearBench.medians(shape[0] == 1 ? 20000 : 300, () -> q.run(x), () -> f.run(x), () -> ort.run(x));
                System.out.printf("softmax %s: java QLinearSoftmax %.1f us, java DQ->Softmax->Q %.1f us, ORT QLinearSoftmax %.1f us%n",
                        java.util.Arrays.toString(shape), t[0] / 1e3, t[1] / 1e3, t[2] / 1e3);
            }
        }
    }
}
