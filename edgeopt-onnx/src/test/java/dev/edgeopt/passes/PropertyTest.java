package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On seeded random networks, every pass alone and the default pipeline keep the graph valid (the
 * PassManager verifies structure and types after each pass) and preserve outputs: in the Java
 * engine, and in ONNX Runtime running the exported result against the original.
 */
class PropertyTest {
    private static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void everyPassPreservesOutputs(long seed) {
        Graph g = RandomGraphs.build(seed);
        for (Pass p : Pipelines.all().values()) {
            Graph after = new PassManager(List.of(p)).run(g).graph();
            double e = Equivalence.compare(g, after, seed).maxRel();
            assertTrue(e <= TOL, "seed " + seed + " opset " + g.opset() + ": pass " + p.name() + " drifts by " + e);
        }
        PassManager.Result r = Pipelines.defaults().run(g);
        double java = Equivalence.compare(g, r.graph(), seed).maxRel();
        assertTrue(java <= TOL, "seed " + seed + ": pipeline drifts by " + java + " in the Java engine; " + r.steps());
        double ort = OrtCheck.relError(g, r.graph(), seed);
        assertTrue(ort <= TOL, "seed " + seed + ": pipeline drifts by " + ort + " in ONNX Runtime");
        for (Node n : r.graph().nodes()) {
            if (!n.opType().equals("BatchNormalization")) continue;
            Node p = n.input(0).producer();
            assertTrue(p == null || !(p.opType().contains("Conv") || p.opType().contains("Gemm")),
                    "seed " + seed + ": BatchNormalization left after " + p.describe());
        }
    }

    /** The property above means something only if the random graphs exercise the rewrites. */
    @Test
    void randomGraphsExerciseEveryRewrite() {
        java.util.Map<String, Long> fired = new java.util.TreeMap<>();
        for (long seed = 1; seed <= 16; seed++) {
            for (PassContext.Change c : Pipelines.defaults().run(RandomGraphs.build(seed)).context().changes()) {
                fired.merge(c.pass(), 1L, Long::sum);
            }
        }
        for (String p : List.of("remove-noops", "collapse-transposes", "collapse-reshapes", "fuse-hardswish", "matmul-add-to-gemm",
                "fold-batchnorm", "fold-bias-add", "fold-channel-scale", "fold-pad", "fuse-activation")) {
            assertTrue(fired.getOrDefault(p, 0L) > 0, p + " never fired: " + fired);
        }
    }

    /** On the random networks with a MobileNetV2 block appended, the default pipeline then fuse-inverted-residual, which fires on each. */
    @Test
    void invertedResidualBlocksOnRandomGraphs() {
        int fused = 0;
        for (long seed = 1; seed <= 8; seed++) {
            Graph g = RandomGraphs.buildWithBlock(seed);
            PassManager.Result r = InvertedResidualTest.optimize(g);
            fused += (int) r.context().changes().stream().filter(c -> c.pass().equals("fuse-inverted-residual")).count();
            assertTrue(Equivalence.compare(g, r.graph(), seed).maxRel() <= 1e-4, "seed " + seed);
            assertTrue(OrtCheck.relError(g, r.graph(), seed) <= 1e-4, "seed " + seed + " in ONNX Runtime");
        }
        assertTrue(fused >= 8, "fused " + fused + " blocks in 8 networks");
    }
}
