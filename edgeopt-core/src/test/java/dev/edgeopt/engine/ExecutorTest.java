package dev.edgeopt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutorTest {
    /** x -> Add(b) -> Relu -> Add(x) -> Relu -> ... : a chain whose buffers can be reused. */
    static Graph chain(int depth) {
        Graph g = new Graph("chain");
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.of(4))));
        Value b = g.addInitializer("b", Tensor.of(new float[] {-1, 0, 1, 2}, 4));
        Value cur = x;
        for (int i = 0; i < depth; i++) {
            Node add = g.addNode("Add", "add" + i, List.of(cur, i % 2 == 0 ? b : x), 1);
            Node relu = g.addNode("Relu", "relu" + i, List.of(add.output(0)), 1);
            cur = relu.output(0);
        }
        g.addOutput(cur);
        ShapeInference.annotate(g, null);
        return g;
    }

    static float[] reference(float[] x, int depth) {
        float[] b = {-1, 0, 1, 2};
        float[] cur = x.clone();
        for (int i = 0; i < depth; i++) {
            for (int k = 0; k < cur.length; k++) {
                float add = i % 2 == 0 ? b[k % 4] : x[k];
                cur[k] = Math.max(cur[k] + add, 0f);
            }
        }
        return cur;
    }

    @Test
    void plannedRunMatchesReferenceAndReusesBuffers() {
        Graph g = chain(6);
        assertEquals("[N,4]", g.outputs().get(0).shape().toString());
        Executor ex = new Executor(g);
        float[] xs = {1, -2, 3, -4, 0.5f, 6, -7, 8};
        Tensor out = ex.run(Tensor.of(xs.clone(), 2, 4))[0];
        assertArrayEquals(reference(xs, 6), out.floats(), 1e-6f);
        // A second run reuses the plan and must give the same answer.
        assertArrayEquals(out.floats(), ex.run(Tensor.of(xs.clone(), 2, 4))[0].floats(), 0f);

        Plan p = ex.plan(Map.of("x", new int[] {2, 4}));
        long sumOfOutputs = 12L * 8 * 4; // 12 intermediate tensors of 8 floats
        assertTrue(p.arenaBytes() < sumOfOutputs / 2, "arena " + p.arenaBytes());
        for (var mp : p.memoryPlans().values()) assertEquals(null, mp.findCollision());
    }

    @Test
    void newBatchSizeGetsItsOwnPlan() {
        Executor ex = new Executor(chain(3));
        float[] xs = new float[12];
        for (int i = 0; i < xs.length; i++) xs[i] = i - 6;
        assertArrayEquals(reference(xs, 3), ex.run(Tensor.of(xs.clone(), 3, 4))[0].floats(), 1e-6f);
        assertArrayEquals(reference(new float[] {1, 2, 3, 4}, 3), ex.run(Tensor.of(new float[] {1, 2, 3, 4}, 1, 4))[0].floats(), 1e-6f);
    }

    @Test
    void runIntoCopiesTheOutputsAndFollowsShapeChanges() {
        Executor ex = new Executor(chain(4));
        float[] a = {1, -2, 3, -4, 0.5f, 6, -7, 8}, b = {2, 2, -1, 0};
        Tensor[] outA = {Tensor.allocate(DType.FLOAT, 2, 4)}, outB = {Tensor.allocate(DType.FLOAT, 1, 4)};
        // Alternating batch sizes: the remembered last plan must not serve the other shape.
        for (int i = 0; i < 3; i++) {
            ex.runInto(new Tensor[] {Tensor.of(a.clone(), 2, 4)}, outA);
            assertArrayEquals(reference(a, 4), outA[0].floats(), 1e-6f);
            ex.runInto(new Tensor[] {Tensor.of(b.clone(), 1, 4)}, outB);
            assertArrayEquals(reference(b, 4), outB[0].floats(), 1e-6f);
        }
        assertArrayEquals(ex.run(Tensor.of(a.clone(), 2, 4))[0].floats(), outA[0].floats(), 0f);
        String m = assertThrows(EdgeoptException.class, () -> ex.runInto(new Tensor[] {Tensor.of(a.clone(), 2, 4)}, new Tensor[0])).getMessage();
        assertTrue(m.contains("1 output(s)"), m);
    }

    @Test
    void aSymbolRepeatedInOneShapeMustBindOneSize() {
        TensorType square = new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.sym("N"), Dim.of(2)));
        assertTrue(Executor.accepts(square, Tensor.allocate(DType.FLOAT, 3, 3, 2)));
        assertTrue(!Executor.accepts(square, Tensor.allocate(DType.FLOAT, 3, 4, 2)));
        assertTrue(!Executor.accepts(square, Tensor.allocate(DType.FLOAT, 3, 3, 3)));
    }

    @Test
    void badInputsAreOneLineErrors() {
        Executor ex = new Executor(chain(1));
        String m = assertThrows(EdgeoptException.class, () -> ex.run(Tensor.of(new float[6], 2, 3))).getMessage();
        assertTrue(m.contains("'x'") && m.contains("expected"), m);
        m = assertThrows(EdgeoptException.class, () -> ex.run(Tensor.allocate(DType.INT64, 1, 4))).getMessage();
        assertTrue(m.contains("int64"), m);
        m = assertThrows(EdgeoptException.class, () -> ex.run(Map.of("y", Tensor.allocate(DType.FLOAT, 1, 4)))).getMessage();
        assertTrue(m.contains("missing input 'x'"), m);
    }

    @Test
    void constantSubgraphsAreFoldedAtPlanTime() {
        Graph g = new Graph("fold");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 2));
        Value a = g.addInitializer("a", Tensor.of(new float[] {1, -5}, 2));
        Node c = g.addNode("Relu", "const_relu", List.of(a), 1); // depends only on a constant
        Node add = g.addNode("Add", "add", List.of(x, c.output(0)), 1);
        g.addOutput(add.output(0));
        ShapeInference.annotate(g, null);
        Executor ex = new Executor(g);
        assertArrayEquals(new float[] {11, 10}, ex.run(Tensor.of(new float[] {10, 10}, 2))[0].floats(), 0f);
        Plan p = ex.plan(Map.of());
        assertEquals(1, p.steps().size(), "the Relu of a constant runs once at plan time");
    }
}
