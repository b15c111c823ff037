package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.passes.Equivalence;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference models as exported (BatchNormalization unfolded, MaxPool with ceil_mode,
 * GlobalAveragePool) run in the Java engine without any pass and match PyTorch's output.
 */
class ReferenceModelsNnTest {
    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
    void unoptimizedModelMatchesPyTorch(String model) throws Exception {
        Graph g = OnnxImporter.load(TestPaths.sharedModel(model + ".onnx"));
        Tensor in = Npy.read(TestPaths.sharedModel(model + ".in.npy"));
        Tensor ref = Npy.read(TestPaths.sharedModel(model + ".ref.npy"));
        Tensor out;
        try (Executor ex = new Executor(g, 2)) {
            out = ex.run(in)[0];
        }
        assertEquals(ref.size(), out.size());
        double rel = Equivalence.compare("out", ref, out).maxRel();
        assertTrue(rel <= 1e-3, model + ": Java engine differs from PyTorch by " + rel + " relative");
    }
}
