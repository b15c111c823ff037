package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each non-GEMM QLinear kernel against ONNX Runtime's on single-node models with seeded random
 * inputs and parameters: every output within one quantization step, and at least 99% exact.
 */
class QLinearKernelsOrtTest {
    /** A graph under construction: 8-bit inputs are graph inputs, parameters are constants. */
    private static final class G {
        final Graph g = new Graph("t");
        final List<Tensor> feeds = new ArrayList<>();
        final Random rnd;
        final DType t;

        G(long seed, DType t) {
            rnd = new Random(seed);
            this.t = t;
            g.setOpset(13);
            g.opsetImports().put("com.microsoft", 1L);
        }

        Value input(int... shape) {
            Tensor x = Tensor.allocate(t, shape);
            byte[] b = x.bytes();
            for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
            feeds.add(x);
            return g.addInput("x" + feeds.size(), TensorType.of(t, shape));
        }

        Value scale() { return g.addInitializer(g.uniqueName("s"), Tensor.of(new float[] {0.002f + rnd.nextFloat() * 0.05f})); }

        Value zp() {
            Tensor z = Tensor.allocate(t);
            z.setLong(0, t == DType.UINT8 ? 60 + rnd.nextInt(130) : rnd.nextInt(100) - 50);
            return g.addInitializer(g.uniqueName("z"), z);
        }

        Node node(String domain, String op, List<Value> ins) {
            Node n = g.insertNode(g.nodes().size(), op, domain, "n", ins, List.of("y"));
            g.addOutput(n.output(0));
            return n;
        }

        void check(double minExact) {
            ShapeInference.annotate(g, null);
            Tensor[] in = feeds.toArray(new Tensor[0]);
            Tensor java;
            try (Executor ex = new Executor(g, 1)) {
                java = ex.run(in)[0];
            }
            Tensor ort;
            try (OrtRunner r = new OrtRunner(OnnxExporter.toBytes(g), 1, OrtRunner.OptLevel.NONE)) {
                ort = r.run(in)[0];
            }
            assertArrayEquals(ort.dims(), java.dims());
            int exact = 0, n = java.size();
            String first = null;
            for (int i = 0; i < n; i++) {
                long d = Math.abs(java.getLong(i) - ort.getLong(i));
                assertTrue(d <= 1, "element " + i + ": java " + java.getLong(i) + ", ort " + ort.getLong(i));
                if (d == 0) exact++;
                else if (first == null) first = "first diff at " + i + " java " + java.getLong(i) + " ort " + ort.getLong(i) + " in " + feeds.get(0).getLong(i % feeds.get(0).size()) + " " + (feeds.size() > 1 ? feeds.get(1).getLong(i % feeds.get(1).size()) : 0) + " " + g.initializers().stream().map(v -> String.valueOf(v.constant().getDouble(0))).toList();
            }
            assertTrue(exact >= minExact * n, exact + " of " + n + " exact; " + first);
        }
    }

    private static final DType[] TYPES = {DType.INT8, DType.UINT8};

    private static void binary(String op, int[] a, int[] b, long seed) { binary(op, a, b, seed, 0.99); }

    private static void binary(String op, int[] a, int[] b, long seed, double minExact) {
        for (DType t : TYPES) {
            G g = new G(seed, t);
            Value x = g.input(a), y = g.input(b);
            g.node("com.microsoft", op, List.of(x, g.scale(), g.zp(), y, g.scale(), g.zp(), g.scale(), g.zp()));
            g.check(minExact);
        }
    }

    @Test void addSameShape() { binary("QLinearAdd", new int[] {2, 16, 9, 9}, new int[] {2, 16, 9, 9}, 1); }

    @Test void addBroadcast() {
        binary("QLinearAdd", new int[] {2, 8, 5, 5}, new int[] {8, 1, 1}, 2);
        binary("QLinearAdd", new int[] {3, 7}, new int[] {1}, 3);
    }

    @Test void mul() {
        binary("QLinearMul", new int[] {2, 8, 5, 5}, new int[] {2, 8, 5, 5}, 4);
        binary("QLinearMul", new int[] {2, 8, 5, 5}, new int[] {1, 8, 1, 1}, 5);
    }

    @Test void concat() {
        for (DType t : TYPES) {
            G g = new G(6, t);
            Value a = g.input(2, 3, 4, 4), b = g.input(2, 5, 4, 4), c = g.input(2, 2, 4, 4);
            Value ys = g.scale(), yz = g.zp();
            // The middle input shares the output's parameters (copied), the others are requantized.
            Node n = g.node("com.microsoft", "QLinearConcat", List.of(ys, yz, a, g.scale(), g.zp(), b, ys, yz, c, g.scale(), g.zp()));
            n.setAttr("axis", Attribute.of(1L));
            g.check(0.99);
        }
    }

    @Test void globalAveragePool() {
        for (DType t : TYPES) {
            G g = new G(7, t);
            Value x = g.input(2, 24, 7, 7);
            g.node("com.microsoft", "QLinearGlobalAveragePool", List.of(x, g.scale(), g.zp(), g.scale(), g.zp()));
            g.check(0.99);
        }
    }

    @Test void averagePool() {
        for (DType t : TYPES) {
            for (long include = 0; include <= 1; include++) {
                G g = new G(8 + include, t);
                Value x = g.input(2, 4, 9, 10);
                Node n = g.node("com.microsoft", "QLinearAveragePool", List.of(x, g.scale(), g.zp(), g.scale(), g.zp()));
                n.setAttr("kernel_shape", Attribute.of(new long[] {3, 3}));
                n.setAttr("strides", Attribute.of(new long[] {2, 2}));
                n.setAttr("pads", Attribute.of(new long[] {1, 1, 1, 1}));
                n.setAttr("count_include_pad", Attribute.of(include));
                g.check(0.99);
            }
        }
    }

    /**
     * With equal input and output scales a window's mean is often exactly halfway between two
     * steps (a sum over 4 or 6 elements); ORT rounds those ties to even, {@link Requantize} (as
     * TFLite) away from zero, so only the one-step bound holds.
     */
    @Test void averagePoolEqualScales() {
        G g = new G(12, DType.INT8);
        Value x = g.input(2, 4, 9, 10);
        Value s = g.scale(), z = g.zp();
        Node n = g.node("com.microsoft", "QLinearAveragePool", List.of(x, s, z, s, z));
        n.setAttr("kernel_shape", Attribute.of(new long[] {2, 2}));
        n.setAttr("strides", Attribute.of(new long[] {2, 2}));
        g.check(0.7);
    }

    @Test void sigmoidAndLeakyRelu() {
        for (DType t : TYPES) {
            G g = new G(10, t);
            Value x = g.input(4, 300);
            g.node("com.microsoft", "QLinearSigmoid", List.of(x, g.scale(), g.zp(), g.g.addInitializer("so", Tensor.of(new float[] {1f / 256})), zp(g, t == DType.UINT8 ? 0 : -128)));
            g.check(0.99);
            G h = new G(11, t);
            Value y = h.input(4, 300);
            h.node("com.microsoft", "QLinearLeakyRelu", List.of(y, h.scale(), h.zp(), h.scale(), h.zp())).setAttr("alpha", Attribute.of(0.2f));
            h.check(0.99);
        }
    }

    private static Value zp(G g, int v) {
        Tensor z = Tensor.allocate(g.t);
        z.setLong(0, v);
        return g.g.addInitializer(g.g.uniqueName("zo"), z);
    }

    /** The tabulated Add equals its arithmetic ({@code apply}) bit for bit, including ties and saturation. */
    @Test void addTableMatchesArithmetic() {
        for (DType t : TYPES) {
            for (long seed = 20; seed < 30; seed++) {
                G g = new G(seed, t);
                Value x = g.input(1, 1000), y = g.input(1, 1000);
                g.node("com.microsoft", "QLinearAdd", List.of(x, g.scale(), g.zp(), y, g.scale(), g.zp(), g.scale(), g.zp()));
                ShapeInference.annotate(g.g, null);
                Tensor out;
                try (Executor ex = new Executor(g.g, 1)) {
                    out = ex.run(g.feeds.toArray(new Tensor[0]))[0];
                }
                Node n = g.g.nodes().get(0);
                dev.edgeopt.engine.KernelContext kc = kernelContext(g.g, n);
                QLinearBinary k = new QLinearBinary(kc, false);
                byte[] a = g.feeds.get(0).bytes(), b = g.feeds.get(1).bytes();
                boolean u = t == DType.UINT8;
                for (int i = 0; i < 1000; i++) {
                    assertTrue(out.bytes()[i] == (byte) k.apply(QuantMath.at8(a, i, u), QuantMath.at8(b, i, u)), "element " + i);
                }
            }
        }
    }

    static dev.edgeopt.engine.KernelContext kernelContext(Graph g, Node n) {
        TensorType[] in = new TensorType[n.inputCount()];
        Tensor[] c = new Tensor[n.inputCount()];
        for (int i = 0; i < in.length; i++) {
            in[i] = n.input(i).type();
            c[i] = n.input(i).constant();
        }
        return new dev.edgeopt.engine.KernelContext(n, 13, in, new TensorType[] {n.output(0).type()}, c,
                dev.edgeopt.engine.ThreadPool.shared(1), new dev.edgeopt.engine.Scratch());
    }
}
