package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.Plan;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The strided-copy fast paths against a naive loop, and views in planned graphs. */
class ShapeKernelsTest {
    /** out[i] = in[sum idx_k * ss_k] by decomposing i over dims: obviously right, slow. */
    static float[] naive(float[] src, int off, int[] dims, int[] ss) {
        int n = Tensor.numel(dims);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int rem = i, s = off;
            for (int k = dims.length - 1; k >= 0; k--) {
                s += (rem % dims[k]) * ss[k];
                rem /= dims[k];
            }
            out[i] = src[s];
        }
        return out;
    }

    static int[] permStrides(int[] shape, int[] perm, int[] dims) {
        int[] st = Tensor.strides(shape), ss = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            dims[i] = shape[perm[i]];
            ss[i] = st[perm[i]];
        }
        return ss;
    }

    @Test
    void randomTransposesMatchTheNaiveLoop() {
        Random r = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            int rank = 1 + r.nextInt(5);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) shape[i] = 1 + r.nextInt(trial < 100 ? 4 : 20);
            int[] perm = new int[rank];
            for (int i = 0; i < rank; i++) perm[i] = i;
            for (int i = rank - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            float[] src = new float[Tensor.numel(shape) + 3];
            for (int i = 0; i < src.length; i++) src[i] = r.nextFloat();
            int[] dims = new int[rank];
            int[] ss = permStrides(shape, perm, dims);
            float[] got = new float[Tensor.numel(dims) + 2];
            StridedCopy.dense(dims, ss).run(src, 3, got, 2);
            float[] want = naive(src, 3, dims, ss);
            assertArrayEquals(want, Arrays.copyOfRange(got, 2, got.length), 0f, Arrays.toString(shape) + " perm " + Arrays.toString(perm));
        }
    }

    @Test
    void tiledTransposeHandlesEveryRemainder() {
        int[] sizes = {8, 9, 13, 64, 67, 130};
        for (int p : sizes) {
            for (int q : sizes) {
                float[] src = new float[p * q + 5];
                for (int i = 0; i < src.length; i++) src[i] = i;
                float[] got = new float[p * q + 1];
                // Source [q][p] read as [p][q], with a leading axis of 1 that merging drops.
                StridedCopy c = StridedCopy.dense(new int[] {1, p, q}, new int[] {0, 1, p});
                assertTrue(c.isTiled(), p + "x" + q);
                c.run(src, 5, got, 1);
                float[] want = naive(src, 5, new int[] {p, q}, new int[] {1, p});
                assertArrayEquals(want, Arrays.copyOfRange(got, 1, got.length), 0f, p + "x" + q);
            }
        }
    }

    @Test
    void parallelTiledTransposeMatchesTheNaiveLoop() {
        try (dev.edgeopt.engine.ThreadPool pool = new dev.edgeopt.engine.ThreadPool(3)) {
            int[][] shapes = {{2, 100, 30, 30}, {1, 67, 1031}};
            int[][] perms = {{0, 2, 3, 1}, {0, 2, 1}};
            for (int c = 0; c < shapes.length; c++) {
                int[] shape = shapes[c];
                int[] dims = new int[shape.length];
                int[] ss = permStrides(shape, perms[c], dims);
                float[] src = new float[Tensor.numel(shape)];
                short[] half = new short[src.length];
                for (int i = 0; i < src.length; i++) {
                    src[i] = i * 0.5f;
                    half[i] = (short) i;
                }
                StridedCopy copy = StridedCopy.dense(dims, ss);
                assertTrue(copy.isTiled());
                float[] got = new float[src.length];
                copy.run(src, 0, got, 0, pool);
                assertArrayEquals(naive(src, 0, dims, ss), got, 0f);
                short[] gotHalf = new short[src.length];
                copy.run(half, 0, gotHalf, 0, pool);
                for (int i = 0; i < got.length; i++) assertEquals((short) (got[i] * 2), gotHalf[i]);
            }
        }
    }

    @Test
    void channelLayoutChangesAreTiledAndSlicesMerge() {
        int[] dims = new int[4];
        StridedCopy toNhwc = StridedCopy.dense(dims, permStrides(new int[] {2, 16, 9, 12}, new int[] {0, 2, 3, 1}, dims));
        assertTrue(toNhwc.isTiled());
        assertEquals(3, toNhwc.mergedRank()); // [N, H*W, C]
        StridedCopy toNchw = StridedCopy.dense(dims, permStrides(new int[] {2, 9, 12, 16}, new int[] {0, 3, 1, 2}, dims));
        assertTrue(toNchw.isTiled());
        byte[] src = new byte[2 * 9 * 12 * 16];
        for (int i = 0; i < src.length; i++) src[i] = (byte) (i * 7);
        byte[] a = new byte[src.length], b = new byte[src.length];
        StridedCopy.dense(dims, permStrides(new int[] {2, 9, 12, 16}, new int[] {0, 3, 1, 2}, dims)).run(src, 0, a, 0);
        int[] back = new int[4];
        StridedCopy.dense(back, permStrides(dims.clone(), new int[] {0, 2, 3, 1}, back)).run(a, 0, b, 0);
        assertArrayEquals(src, b);
        // Rows 1..2 of a [4,3,5] tensor are one contiguous run.
        assertEquals(1, StridedCopy.dense(new int[] {2, 3, 5}, new int[] {15, 5, 1}).mergedRank());
        assertEquals(-1, StridedCopy.dense(new int[] {2, 0, 5}, new int[] {15, 5, 1}).mergedRank());
    }

    static Graph viewChain(boolean mask) {
        Graph g = new Graph("views");
        g.setOpset(13);
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 2, 3));
        Value h = g.addNode("Relu", "relu", List.of(x), 1).output(0);
        h = g.addNode("Reshape", "reshape", List.of(h, g.addInitializer("s", Tensor.vector(3, 2))), 1).output(0);
        h = g.addNode("Flatten", "flatten", List.of(h), 1).output(0);
        h = g.addNode("Unsqueeze", "unsqueeze", List.of(h, g.addInitializer("a", Tensor.vector(0))), 1).output(0);
        h = g.addNode("Squeeze", "squeeze", List.of(h), 1).output(0);
        h = g.addNode("Identity", "identity", List.of(h), 1).output(0);
        Node d = g.addNode("Dropout", "dropout", List.of(h), mask ? 2 : 1);
        Value y = g.addNode("Relu", "relu2", List.of(d.output(0)), 1).output(0);
        g.addOutput(y);
        if (mask) g.addOutput(d.output(1));
        ShapeInference.annotate(g, Executor.evaluator());
        return g;
    }

    @Test
    void viewOpsShareTheirInputBuffer() {
        float[] xs = {-1, 2, -3, 4, 5, -6};
        float[] want = {0, 2, 0, 4, 5, 0};
        Executor ex = new Executor(viewChain(false));
        assertArrayEquals(want, ex.run(Tensor.of(xs, 2, 3))[0].floats(), 0f);
        Plan p = ex.plan(Map.of("x", new int[] {2, 3}));
        List<Plan.Step> steps = p.steps();
        for (Plan.Step s : steps) {
            boolean view = !s.node().opType().equals("Relu");
            assertEquals(view, s.skipped(), s.node().describe());
        }
        assertSame(steps.get(0).outputs()[0].data(), steps.get(steps.size() - 1).inputs()[0].data());
        assertEquals(steps.get(0).outputs()[0].offset(), steps.get(steps.size() - 1).inputs()[0].offset());

        // With a mask, Dropout must run to write it.
        Executor em = new Executor(viewChain(true));
        Tensor[] out = em.run(Tensor.of(xs, 2, 3));
        assertArrayEquals(want, out[0].floats(), 0f);
        assertArrayEquals(new boolean[] {true, true, true, true, true, true}, out[1].bools());
        // An unread mask (as import names an omitted output) keeps Dropout a view.
        Graph unread = viewChain(true);
        unread.clearOutputs();
        unread.addOutput(unread.value("relu2_out"));
        Plan pu = new Executor(unread).plan(Map.of("x", new int[] {2, 3}));
        assertTrue(pu.steps().stream().filter(s -> s.node().opType().equals("Dropout")).findFirst().orElseThrow().skipped());
        Plan pm = em.plan(Map.of("x", new int[] {2, 3}));
        assertFalse(pm.steps().stream().filter(s -> s.node().opType().equals("Dropout")).findFirst().orElseThrow().skipped());
    }

    @Test
    void unsupportedOrBadInputIsAnErrorNotAWrongAnswer() {
        Graph g = new Graph("drop");
        g.setOpset(13);
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 4));
        Node d = g.addNode("Dropout", "drop", List.of(x, g.addInitializer("r", Tensor.scalar(0.5f)),
                g.addInitializer("t", Tensor.ofBools(new boolean[] {true}))), 1);
        g.addOutput(d.output(0));
        ShapeInference.annotate(g, null);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new Executor(g).run(Tensor.of(new float[4], 4)));
        assertTrue(e.getMessage().contains("drop (Dropout)") && e.getMessage().contains("training"), e.getMessage());

        Graph h = new Graph("gather");
        h.setOpset(13);
        Value data = h.addInput("data", TensorType.of(DType.FLOAT, 3));
        Value idx = h.addInput("idx", TensorType.of(DType.INT64, 1));
        Node n = h.addNode("Gather", "pick", List.of(data, idx), 1);
        n.setAttr("axis", Attribute.of(0L));
        h.addOutput(n.output(0));
        ShapeInference.annotate(h, null);
        Executor ex = new Executor(h);
        assertArrayEquals(new float[] {3}, ex.run(Tensor.vector(1f, 2f, 3f), Tensor.vector(-1))[0].floats(), 0f);
        e = assertThrows(EdgeoptException.class, () -> ex.run(Tensor.vector(1f, 2f, 3f), Tensor.vector(3)));
        assertTrue(e.getMessage().contains("pick (Gather)") && e.getMessage().contains("index 3"), e.getMessage());
    }
}
