package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast int8 kernels (constant weights and parameters) allocate nothing per run once the JIT has
 * settled, on one thread and on two: each must reach a run that allocates zero bytes on the
 * calling thread.
 */
class QLinearAllocationTest {
    static Tensor bytes(DType t, long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] a = new byte[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(-127, 128);
        return Tensor.of(t, a, shape);
    }

    static Tensor scalar(float v) { return Tensor.of(new float[] {v}); }

    static Tensor zp(DType t, int v) { return Tensor.of(t, new byte[] {(byte) v}); }

    static void assertSteadyStateAllocatesNothing(String domain, String op, Tensor[] ins, TensorType out, int threads, Object... attrs) {
        Graph g = new Graph("t");
        g.opsetImports().put("com.microsoft", 1L);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(ins[i] == null ? null : g.addInitializer("i" + i, ins[i]));
        Node n = g.insertNode(0, op, domain, "n", vs, List.of("y"));
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            n.setAttr((String) attrs[i], v instanceof long[] l ? Attribute.of(l) : Attribute.of((Long) v));
        }
        TensorType[] inT = new TensorType[ins.length];
        Tensor[] consts = new Tensor[ins.length];
        for (int i = 0; i < ins.length; i++) {
            inT[i] = ins[i] == null ? null : ins[i].type();
            consts[i] = i == 0 ? null : ins[i]; // everything but the activation is constant
        }
        Tensor[] outs = {Tensor.allocate(out.dtype(), out.shape().toIntArray())};
        Scratch scratch = new Scratch();
        Kernel k = KernelRegistry.standard().require(n).create(new KernelContext(n, 13, inT, new TensorType[] {out}, consts,
                ThreadPool.shared(threads), scratch));
        assertTrue(k instanceof FastQConv || k instanceof FastQMatMul || k instanceof QLinearBinary qb && qb.vectorized(),
                op + ": expected the fast kernel, got " + k.getClass().getSimpleName());
        scratch.seal();
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long last = -1;
        for (int i = 0; i < 200_000 && last != 0; i++) {
            long before = mx.getThreadAllocatedBytes(tid);
            k.run(ins, outs);
            last = mx.getThreadAllocatedBytes(tid) - before;
        }
        assertTrue(last == 0, op + " still allocates " + last + " bytes per run");
    }

    static Tensor[] conv(DType xt, int[] x, int m, int group, int kh, int kw) {
        int c = x[1];
        return new Tensor[] {bytes(xt, 1, x), scalar(0.02f), zp(xt, 3), bytes(DType.INT8, 2, m, c / group, kh, kw), Tensor.of(new float[m], m),
            Tensor.of(DType.INT8, new byte[m], m), scalar(0.5f), zp(xt, 1), Tensor.ofInts(new int[m], m)};
    }

    @Test
    void fastKernelsRunWithoutAllocating() {
        for (int threads : new int[] {1, 2}) {
            Tensor[] pw = conv(DType.UINT8, new int[] {1, 16, 10, 10}, 24, 1, 1, 1);
            java.util.Arrays.fill(pw[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", pw, TensorType.of(DType.UINT8, 1, 24, 10, 10), threads);
            Tensor[] blocked = conv(DType.INT8, new int[] {1, 8, 128, 128}, 40, 1, 1, 1); // column blocks (2^19 outputs or more)
            java.util.Arrays.fill(blocked[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", blocked, TensorType.of(DType.INT8, 1, 40, 128, 128), threads);
            Tensor[] dw = conv(DType.INT8, new int[] {1, 16, 12, 12}, 16, 16, 3, 3);
            java.util.Arrays.fill(dw[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", dw, TensorType.of(DType.INT8, 1, 16, 12, 12), threads,
                    "group", 16L, "pads", new long[] {1, 1, 1, 1});
            Tensor[] dw2 = conv(DType.UINT8, new int[] {1, 8, 14, 14}, 8, 8, 3, 3); // stride 2, bytes filled by the 14-wide split
            java.util.Arrays.fill(dw2[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", dw2, TensorType.of(DType.UINT8, 1, 8, 7, 7), threads,
                    "group", 8L, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1});
            Tensor[] stem = conv(DType.INT8, new int[] {1, 3, 32, 32}, 8, 1, 3, 3); // the direct-conv path
            java.util.Arrays.fill(stem[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", stem, TensorType.of(DType.INT8, 1, 8, 16, 16), threads,
                    "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1});
            Tensor[] full = conv(DType.INT8, new int[] {1, 8, 12, 12}, 12, 2, 3, 3);
            java.util.Arrays.fill(full[4].floats(), 0.001f);
            assertSteadyStateAllocatesNothing("", "QLinearConv", full, TensorType.of(DType.INT8, 1, 12, 6, 6), threads,
                    "group", 2L, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1});
            Tensor[] mm = {bytes(DType.INT8, 3, 5, 64), scalar(0.02f), zp(DType.INT8, 0), bytes(DType.INT8, 4, 64, 10), Tensor.of(new float[] {0.01f}),
                zp(DType.INT8, 0), scalar(0.3f), zp(DType.INT8, 0)};
            assertSteadyStateAllocatesNothing("", "QLinearMatMul", mm, TensorType.of(DType.INT8, 5, 10), threads);
            Tensor[] qg = {bytes(DType.INT8, 5, 3, 64), scalar(0.02f), zp(DType.INT8, 0), bytes(DType.INT8, 6, 10, 64), Tensor.of(new float[] {0.01f}),
                zp(DType.INT8, 0), Tensor.ofInts(new int[10], 10)};
            assertSteadyStateAllocatesNothing("com.microsoft", "QGemm", qg, TensorType.of(DType.FLOAT, 3, 10), threads, "transB", 1L);
            // A residual Add the size of mobilenet_v2's first (split over the pool), and a Mul of 4096 elements.
            Tensor[] add = {bytes(DType.INT8, 7, 1, 24, 56, 56), scalar(0.05f), zp(DType.INT8, 3), bytes(DType.INT8, 8, 1, 24, 56, 56), scalar(0.04f),
                zp(DType.INT8, -5), scalar(0.07f), zp(DType.INT8, 1)};
            assertSteadyStateAllocatesNothing("com.microsoft", "QLinearAdd", add, TensorType.of(DType.INT8, 1, 24, 56, 56), threads);
            Tensor[] mul = {bytes(DType.UINT8, 9, 1, 16, 16, 16), scalar(0.05f), zp(DType.UINT8, 128), bytes(DType.UINT8, 10, 1, 16, 16, 16), scalar(0.004f),
                zp(DType.UINT8, 0), scalar(0.03f), zp(DType.UINT8, 120)};
            assertSteadyStateAllocatesNothing("com.microsoft", "QLinearMul", mul, TensorType.of(DType.UINT8, 1, 16, 16, 16), threads);
        }
    }
}
