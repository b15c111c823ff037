package dev.edgeopt.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MixedPrecisionTest {
    /** Blob images labelled by the float model itself, so its accuracy is 100% and any drop is quantization's. */
    static Dataset selfLabelled(Graph g, int n) {
        Dataset d = PostTrainingQuantizerTest.images(n, 21);
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        int[] labels = new int[n];
        try (Executor ex = new Executor(g)) {
            float[] z = ex.run(Calibrator.batch(d, all, 0, n))[0].toFloatArray();
            for (int i = 0; i < n; i++) {
                int a = 0;
                for (int j = 1; j < 10; j++) if (z[i * 10 + j] > z[i * 10 + a]) a = j;
                labels[i] = a;
            }
        }
        return new Dataset("self", d.data(), d.sampleShape(), labels, 10, Collections.nCopies(10, "c"));
    }

    @Test
    void sensitiveLayersStayFloatUntilTheDropIsWithinBudget() {
        // Per-tensor weights on a network with channel ranges 400x apart: some layers lose a lot.
        Graph g = CrossLayerEqualizationTest.unbalanced("dscnn", 3, 1.5);
        Dataset d = selfLabelled(g, 500);
        var o = PostTrainingQuantizer.Options.defaults().withPerChannel(false).withSamples(100).withMethod(RangeMethod.MINMAX);
        MixedPrecision.Outcome loose = MixedPrecision.quantize(g, d, o, 100, 300);
        assertTrue(loose.keptFloat().isEmpty() && loose.sensitivities().isEmpty(), "within budget at once: nothing to measure");
        assertEquals(loose.int8Accuracy(), loose.finalAccuracy());

        MixedPrecision.Outcome m = MixedPrecision.quantize(g, d, o, 3.0, 300);
        assertEquals(1.0, m.floatAccuracy());
        assertTrue(m.int8Accuracy() < 0.95, "the setup must hurt: int8 accuracy " + m.int8Accuracy());
        assertTrue(m.withinBudget() && m.finalDropPoints() <= 3.0, m.toString());
        assertTrue(!m.keptFloat().isEmpty(), m.toString());
        for (int i = 1; i < m.keptFloat().size(); i++) assertTrue(m.keptFloat().get(i - 1).lossPoints() >= m.keptFloat().get(i).lossPoints());
        // Kept layers have float weights in the exported graph; every other conv/gemm has int8 ones.
        Set<String> kept = m.keptFloat().stream().map(MixedPrecision.Layer::node).collect(Collectors.toSet());
        Graph q = m.result().qdq();
        int int8 = 0;
        for (Node n : q.nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) continue;
            boolean floatW = n.input(1).isConstant() && n.input(1).dtype() == DType.FLOAT;
            assertEquals(kept.contains(n.name()), floatW, n.name());
            if (!floatW) int8++;
        }
        assertTrue(int8 >= 1, "the budget is met before every layer is float: " + kept);
        assertEquals(m.sensitivities().stream().mapToDouble(MixedPrecision.Layer::lossPoints).max().orElseThrow(), m.keptFloat().get(0).lossPoints(),
                "the most sensitive layer goes first");
        assertEquals(String.join(",", new java.util.TreeSet<>(kept)), q.metadata().get("edgeopt.quant.float_layers"));
        // The reported accuracy is that of the returned graph on the held-out split.
        int[] perm = Dataset.permutation(d.size(), o.seed());
        int[] val = Arrays.copyOfRange(perm, 100, 400);
        assertEquals(m.finalAccuracy(), MixedPrecision.int8Accuracy(q, d, val, 1));
    }

    @Test
    void badBudgetsAndSplitsAreOneLineErrors() {
        Graph g = PostTrainingQuantizerTest.model("mlp");
        Dataset d = PostTrainingQuantizerTest.images(50, 22);
        var o = PostTrainingQuantizer.Options.defaults().withSamples(20);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> MixedPrecision.quantize(g, d, o, -1, 10));
        assertTrue(e.getMessage().contains("--max-accuracy-drop"), e.getMessage());
        e = assertThrows(EdgeoptException.class, () -> MixedPrecision.quantize(g, d, o, 0.5, 40));
        assertTrue(e.getMessage().contains("too few"), e.getMessage());
    }
}
