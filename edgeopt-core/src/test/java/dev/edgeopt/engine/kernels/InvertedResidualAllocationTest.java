package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model of InvertedResidual blocks allocates nothing per inference beyond what Executor.run
 * allocates for any model (its input signature and the returned output copy): measured through
 * Executor.run, where the kernel's loops are compiled in their real calling context, against a
 * one-Relu model with the same input and output shapes.
 */
class InvertedResidualAllocationTest {
    private static Tensor rand(long seed, int... shape) {
        java.util.Random r = new java.util.Random(seed);
        float[] a = new float[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 0.3f;
        return Tensor.of(a, shape);
    }

    /** x [1, 6, 24, 20] -> block (expansion 6 -> 22, residual) -> block (no expansion, residual). */
    private static Graph blocks() {
        Graph g = new Graph("blocks");
        g.opsetImports().put(FusedOps.DOMAIN, 1L);
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1, 6, 24, 20));
        Value y = block(g, x, 6, 22, true, 1);
        y = block(g, y, 6, 6, false, 2);
        g.addOutput(y);
        ShapeInference.annotate(g, null);
        return g;
    }

    private static Value block(Graph g, Value x, int c, int mid, boolean expand, long seed) {
        List<Value> ins = new ArrayList<>(Arrays.asList(x, null, null));
        if (expand) {
            ins.set(1, g.addInitializer("we" + seed, rand(seed, mid, c, 1, 1)));
            ins.set(2, g.addInitializer("be" + seed, rand(seed + 10, mid)));
        }
        ins.add(g.addInitializer("wd" + seed, rand(seed + 20, mid, 1, 3, 3)));
        ins.add(g.addInitializer("bd" + seed, rand(seed + 30, mid)));
        ins.add(g.addInitializer("wp" + seed, rand(seed + 40, c, mid, 1, 1)));
        ins.add(g.addInitializer("bp" + seed, rand(seed + 50, c)));
        Node n = g.insertNode(g.nodes().size(), FusedOps.INVERTED_RESIDUAL, FusedOps.DOMAIN, "b" + seed, ins, List.of("y" + seed));
        n.setAttr("strides", Attribute.of(new long[] {1, 1}));
        n.setAttr("pads", Attribute.of(new long[] {1, 1, 1, 1}));
        n.setAttr("expand_activation", Attribute.of("Clip"));
        n.setAttr("expand_activation_params", Attribute.of(new float[] {0f, 6f}));
        n.setAttr("depthwise_activation", Attribute.of("Relu"));
        n.setAttr("residual", Attribute.of(1L));
        return n.output(0);
    }

    private static Graph relu() {
        Graph g = new Graph("relu");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1, 6, 24, 20));
        g.addOutput(g.addNode("Relu", "r", List.of(x), List.of("y")).output(0));
        ShapeInference.annotate(g, null);
        return g;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void steadyStateAllocatesOnlyWhatEveryRunDoes(int threads) {
        Tensor x = rand(99, 1, 6, 24, 20);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        try (Executor blocks = new Executor(blocks(), threads); Executor relu = new Executor(relu(), threads)) {
            assertEquals(1, blocks.run(x).length);
            long extra = -1;
            for (int i = 0; i < 200_000 && extra != 0; i++) {
                long b0 = mx.getThreadAllocatedBytes(tid);
                blocks.run(x);
                long b1 = mx.getThreadAllocatedBytes(tid);
                relu.run(x);
                long b2 = mx.getThreadAllocatedBytes(tid);
                extra = (b1 - b0) - (b2 - b1);
            }
            assertTrue(extra == 0, "an inference of the blocks still allocates " + extra + " bytes more than one of a Relu");
        }
    }
}
