package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.tensor.Tensor;
import java.util.Map;

/**
 * The numeric oracle for pass tests: ONNX Runtime (no ORT optimizations) runs the graph before and
 * after, the latter exported through {@link Pipelines#forExport()} as a user's runtime would get it.
 */
final class OrtCheck {
    private OrtCheck() {}

    /** Max error of the outputs relative to the original outputs' magnitude. */
    static double relError(Graph before, Graph after, long seed) {
        Map<String, Tensor> in = Equivalence.randomInputs(before, seed, 1);
        Graph exported = Pipelines.forExport().run(after).graph();
        Tensor[] a = run(before, in), b = run(exported, in);
        assertTrue(a.length == b.length, "output count changed");
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            var e = Equivalence.compare(before.outputs().get(i).name(), a[i], b[i]);
            worst = Math.max(worst, e.maxRel());
        }
        return worst;
    }

    static void assertSame(Graph before, Graph after, double tol) {
        for (long seed = 1; seed <= 2; seed++) {
            double e = relError(before, after, seed);
            assertTrue(e <= tol, "outputs drift by " + e + " relative (tolerance " + tol + ")");
        }
    }

    static Tensor[] run(Graph g, Map<String, Tensor> in) {
        try (OrtRunner r = new OrtRunner(OnnxExporter.toBytes(g), 1, OrtRunner.OptLevel.NONE)) {
            return r.run(in).values().toArray(new Tensor[0]);
        }
    }

    /** Runs one pass through a PassManager (so the verifier checks it) and returns the result. */
    static PassManager.Result apply(Graph g, Pass... passes) { return new PassManager(java.util.List.of(passes)).run(g); }
}
