package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The other ONNX test suites shipped beside the node tests (PyTorch operator and converted
 * models, simple models): every case made only of shape-family ops passes.
 */
class ShapeSuitesTest {
    static final Set<String> SHAPE_OPS = Set.of("Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
            "Transpose", "Concat", "Split", "Slice", "Shape", "Size", "Gather", "GatherElements", "GatherND",
            "ScatterElements", "Scatter", "ScatterND", "ConstantOfShape", "Expand", "Tile", "Pad", "Range",
            "DepthToSpace", "SpaceToDepth", "EyeLike", "OneHot", "Trilu", "NonZero", "Compress", "ReverseSequence");

    @Test
    void shapeOnlyCasesOfTheOtherSuitesPass() throws Exception {
        Path root = TestPaths.require(TestPaths.ONNX_NODE_TESTS.getParent());
        Conformance conf = new Conformance(1);
        List<String> failed = new ArrayList<>();
        int passed = 0;
        for (String suite : new String[] {"pytorch-operator", "pytorch-converted", "simple"}) {
            Path dir = root.resolve(suite);
            if (!Files.isDirectory(dir)) continue;
            try (var s = Files.list(dir)) {
                for (Path c : s.sorted().toList()) {
                    if (!Files.isRegularFile(c.resolve("model.onnx"))) continue;
                    if (!SHAPE_OPS.containsAll(Conformance.opsOf(c.resolve("model.onnx")))) continue;
                    Conformance.Case r = conf.runCase(c);
                    System.out.println(r.status() + " " + suite + "/" + r.name() + " " + r.ops() + " " + r.detail());
                    if (r.status() == Conformance.Status.PASSED) passed++;
                    else if (r.status() == Conformance.Status.FAILED) failed.add(r.name() + ": " + r.detail());
                }
            }
        }
        assertTrue(failed.isEmpty(), String.join("\n", failed));
        assertTrue(passed >= 1, "no shape-only case ran");
    }
}
