package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * A PyTorch export with a dynamic batch (tools/gen_shape_chain.py): its Shape/Gather/Unsqueeze/
 * Concat/Reshape chains must infer symbolic shapes at import, and the engine must reproduce
 * PyTorch's outputs exactly at two batch sizes.
 */
class ShapeChainModelTest {
    static byte[] resource(String name) {
        try (InputStream in = ShapeChainModelTest.class.getResourceAsStream(name)) {
            if (in == null) throw new AssertionError("missing test resource " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void importKeepsTheNamedBatchAndRunsLikePyTorch() {
        Graph g = OnnxImporter.fromBytes(resource("shape_chain.onnx"), "shape_chain.onnx");
        // Intermediates carry no declared types in the file: these come from inference alone.
        assertEquals("float32[N,12]", g.value("/Reshape_output_0").type().toString());
        assertEquals("float32[N,3,4]", g.value("/Reshape_1_output_0").type().toString());
        assertEquals("float32[N,6,3]", g.value("/Concat_2_output_0").type().toString());
        assertEquals("float32[N,18]", g.outputs().get(0).type().toString());
        assertEquals("float32[N,3,4]", g.outputs().get(1).type().toString());
        Executor ex = new Executor(g);
        // With a concrete batch the shape arithmetic folds away: no Shape or Gather step remains.
        var steps = ex.plan(java.util.Map.of("x", new int[] {2, 3, 4})).steps();
        assertEquals(java.util.List.of(), steps.stream().map(st -> st.node().opType()).filter(op -> op.equals("Shape") || op.equals("Gather")).toList());
        for (int batch : new int[] {2, 5}) {
            String p = "shape_chain.b" + batch + ".";
            Tensor x = Npy.parse(resource(p + "in.npy"), p + "in.npy");
            Tensor[] got = ex.run(x);
            assertNull(Conformance.compare(Npy.parse(resource(p + "y.npy"), "y"), got[0], 0, 0), "batch " + batch + " y");
            assertNull(Conformance.compare(Npy.parse(resource(p + "s.npy"), "s"), got[1], 0, 0), "batch " + batch + " s");
        }
    }
}
