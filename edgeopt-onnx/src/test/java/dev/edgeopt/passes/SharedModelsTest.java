package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The default pipeline on ../shared/models (torchvision exports with BatchNormalization and
 * Identity kept): no BatchNormalization is left after a Conv/Gemm, and ONNX Runtime running the
 * exported optimized model matches the original within 1e-4 of the output magnitude, on the
 * model's own input.
 */
class SharedModelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
    void defaultPipelinePreservesOutputsAndRemovesBatchNorm(String model) throws Exception {
        Graph g = OnnxImporter.load(TestPaths.sharedModel(model + ".onnx"));
        Tensor in = Npy.read(TestPaths.sharedModel(model + ".in.npy"));
        PassManager.Result r = Pipelines.defaults().run(g);
        Graph opt = r.graph();
        for (Node n : opt.nodes()) {
            if (!n.opType().equals("BatchNormalization")) continue;
            Node p = n.input(0).producer();
            assertTrue(p == null || !(p.opType().contains("Conv") || p.opType().contains("Gemm")),
                    "BatchNormalization " + n.name() + " left after " + (p == null ? "" : p.describe()));
        }
        assertTrue(opt.nodes().size() < g.nodes().size(), "optimize removed no nodes: " + r.steps());
        Map<String, Tensor> feed = Map.of(g.inputs().get(0).name(), in);
        Graph exported = Pipelines.forExport().run(opt).graph();
        Tensor a = OrtCheck.run(g, feed)[0], b = OrtCheck.run(exported, feed)[0];
        double rel = Equivalence.compare("out", a, b).maxRel();
        assertTrue(rel <= 1e-4, model + ": ORT outputs drift by " + rel + " relative");
        // The Java engine agrees with itself before and after as well.
        Equivalence.Report java = Equivalence.compare(g, opt, feed);
        assertTrue(java.maxRel() <= 1e-4, model + ": Java engine outputs drift by " + java.maxRel());
        // And with PyTorch's reference output.
        Tensor ref = Npy.read(TestPaths.sharedModel(model + ".ref.npy"));
        assertEquals(ref.size(), b.size());
        assertTrue(Equivalence.compare("ref", ref, b).maxRel() <= 1e-3);
    }
}
