package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * QLinearAdd/QLinearMul's int32 vector rows against the kernel's own scalar definition
 * ({@link QLinearBinary#apply}, TFLite's 64-bit arithmetic through Requantize), element by element:
 * random scales and zero points, int8 and uint8, lengths around the vector width and the
 * threading threshold, one and two threads. (QLinearKernelsOrtTest compares the kernel with ORT.)
 */
class QLinearBinaryTest {
    static QLinearBinary kernel(String op, DType t, float sa, int za, float sb, int zb, float sc, int zc, int n, int threads) {
        Graph g = new Graph("t");
        g.opsetImports().put("com.microsoft", 1L);
        Tensor[] ins = {Tensor.allocate(t, n), scalar(sa), zp(t, za), Tensor.allocate(t, n), scalar(sb), zp(t, zb), scalar(sc), zp(t, zc)};
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(g.addInitializer("i" + i, ins[i]));
        Node node = g.insertNode(0, op, "com.microsoft", "n", vs, List.of("y"));
        TensorType[] inT = new TensorType[ins.length];
        Tensor[] consts = new Tensor[ins.length];
        for (int i = 0; i < ins.length; i++) {
            inT[i] = ins[i].type();
            consts[i] = i == 0 || i == 3 ? null : ins[i];
        }
        return (QLinearBinary) KernelRegistry.standard().require(node).create(new KernelContext(node, 13, inT,
                new TensorType[] {TensorType.of(t, n)}, consts, ThreadPool.shared(threads), new Scratch()));
    }

    static Tensor scalar(float v) { return Tensor.of(new float[] {v}); }

    static Tensor zp(DType t, int v) { return Tensor.of(t, new byte[] {(byte) v}); }

    @Test
    void vectorRowsEqualTheScalarDefinition() {
        SplittableRandom r = new SplittableRandom(17);
        int[] lengths = {1, 100, Requantize.VECTOR_MIN - 1, Requantize.VECTOR_MIN, Requantize.VECTOR_MIN + 1, Requantize.VECTOR_MIN + 15,
            Requantize.VECTOR_MIN + 37, 40_000, 75_264};
        int vectorized = 0, cases = 0;
        for (int c = 0; c < 90; c++) {
            boolean mul = c % 3 == 2;
            DType t = c % 2 == 0 ? DType.INT8 : DType.UINT8;
            int lo = t == DType.INT8 ? -128 : 0;
            float sa = (float) Math.exp(r.nextDouble(-7, 0)), sb = (float) Math.exp(r.nextDouble(-7, 0));
            // Output scales from much finer to much coarser than the inputs'.
            float sc = (float) ((mul ? sa * sb : Math.max(sa, sb)) * Math.exp(r.nextDouble(-3, 3)));
            int za = lo + r.nextInt(256), zb = lo + r.nextInt(256), zc = lo + r.nextInt(256);
            int n = lengths[c % lengths.length];
            int threads = 1 + c % 2;
            QLinearBinary k = kernel(mul ? "QLinearMul" : "QLinearAdd", t, sa, za, sb, zb, sc, zc, n, threads);
            // Small tensors run the table; so does a Mul whose output step is finer than the product of
            // the input steps (real multiplier >= 1: outside WideOperand's range).
            if ((!mul || sa * sb / sc < 0.99) && n >= Requantize.VECTOR_MIN) {
                cases++;
                if (k.vectorized()) vectorized++;
                else System.out.printf("table: %s sa %g sb %g sc %g%n", mul ? "Mul" : "Add", sa, sb, sc);
            }
            byte[] a = new byte[n + 3], b = new byte[n + 5];
            for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(256);
            for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
            // Windows at offsets, as the planner's arenas hand them out.
            Tensor ta = Tensor.view(t, new int[] {n}, a, 3), tb = Tensor.view(t, new int[] {n}, b, 5);
            Tensor y = Tensor.view(t, new int[] {n}, new byte[n + 7], 7);
            k.run(new Tensor[] {ta, null, null, tb, null, null, null, null}, new Tensor[] {y});
            int mask = t == DType.UINT8 ? 0xFF : -1;
            for (int i = 0; i < n; i++) {
                int want = k.apply(a[3 + i] & mask, b[5 + i] & mask);
                assertEquals(want, y.bytes()[7 + i] & mask, (mul ? "Mul" : "Add") + " case " + c + " element " + i);
            }
        }
        // The int32 forms cover ordinary parameters: nearly every case runs them.
        assertEquals(cases, vectorized, vectorized + " of " + cases + " cases vectorized");
    }
}
