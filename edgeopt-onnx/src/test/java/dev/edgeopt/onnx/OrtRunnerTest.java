package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bridge round-trips tensors, and an exported graph runs the same in ORT and in Java. */
class OrtRunnerTest {
    @Test
    void exportedGraphRunsIdenticallyInOrt() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 2, 3));
        Value b = g.addInitializer("b", Tensor.of(new float[] {1, -2, 3}, 3));
        var add = g.addNode("Add", "add", List.of(x, b), List.of("s"));
        var relu = g.addNode("Relu", "relu", List.of(add.output(0)), List.of("y"));
        g.addOutput(relu.output(0));
        ShapeInference.annotate(g, null);
        Tensor in = Tensor.of(new float[] {-1, 0, 1, 2, 3, -4}, 2, 3);
        float[] java = new Executor(g).run(in)[0].floats();
        try (OrtRunner ort = new OrtRunner(OnnxImporter.fromBytes(OnnxExporter.toBytes(g), "t"), 1, OrtRunner.OptLevel.ALL)) {
            assertArrayEquals(java, ort.run(in)[0].floats(), 0f);
        }
        assertArrayEquals(new float[] {0, 0, 4, 3, 1, 0}, java, 0f);
    }
}
