package dev.edgeopt.engine.kernels;

import static dev.edgeopt.engine.kernels.KernelHarness.broadcastIndex;
import static dev.edgeopt.engine.kernels.KernelHarness.random;
import static dev.edgeopt.engine.kernels.KernelHarness.run;
import static dev.edgeopt.engine.kernels.KernelHarness.window;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Vector and broadcast paths of the elementwise kernels against obvious scalar references. */
class ElementwiseKernelsTest {
    static final int[][][] SHAPES = {
        {{37}, {37}}, {{37}, {}}, {{}, {37}}, {{1}, {5, 7}}, {{3, 1, 5}, {1, 4, 1}}, {{2, 3, 4, 5}, {3, 1, 1}},
        {{2, 3, 4, 5}, {1, 3, 1, 1}}, {{2, 3, 4, 5}, {5}}, {{4, 1}, {1, 9}}, {{2, 1, 3, 1, 5}, {4, 1, 1, 1}},
        {{3, 1}, {3, 1}}, {{0, 3}, {3}},
        // Above the parallel threshold, split in the middle of rows.
        {{3, 40001}, {40001}}, {{3, 40001}, {3, 1}}, {{100003}, {100003}}, {{100003}, {}},
    };

    static void assertClose(double want, double got, double rtol, String what) {
        if (Double.isNaN(want) && Double.isNaN(got)) return;
        if (want == got) return;
        if (Math.abs(want - got) > 1e-6 + rtol * Math.abs(want)) throw new AssertionError(what + ": got " + got + ", expected " + want);
    }

    @Test
    void binaryBroadcastMatchesScalarReference() {
        Map<String, DoubleBinaryOperator> ops = Map.of(
                "Add", (a, b) -> (float) a + (float) b, "Sub", (a, b) -> (float) a - (float) b,
                "Mul", (a, b) -> (float) a * (float) b, "Div", (a, b) -> (float) a / (float) b,
                "Min", Math::min, "Max", Math::max, "PRelu", (a, b) -> a < 0 ? (float) a * (float) b : a,
                "Pow", Math::pow);
        Random rnd = new Random(1);
        for (var e : ops.entrySet()) {
            for (int[][] s : SHAPES) {
                boolean big = Tensor.numel(Broadcast.shape(s[0], s[1])) > 1000;
                if (big && !(e.getKey().equals("Sub") || e.getKey().equals("PRelu"))) continue; // big shapes test the split, once per loop form
                for (int threads : new int[] {1, 2}) {
                    int[] out = Broadcast.shape(s[0], s[1]);
                    float[] av = random(rnd, Tensor.numel(s[0])), bv = random(rnd, Tensor.numel(s[1]));
                    Tensor a = window(rnd, av, s[0]), b = window(rnd, bv, s[1]);
                    Tensor y = run(e.getKey(), Map.of(), 17, threads, new Tensor[] {a, b}, TensorType.of(DType.FLOAT, out))[0];
                    for (int i = 0; i < y.size(); i++) {
                        double want = (float) e.getValue().applyAsDouble(av[broadcastIndex(i, out, s[0])], bv[broadcastIndex(i, out, s[1])]);
                        assertClose(want, y.getFloat(i), 1e-6, e.getKey() + java.util.Arrays.deepToString(s) + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void unaryVectorPathsMatchScalarReference() {
        Map<String, DoubleUnaryOperator> ops = new java.util.HashMap<>();
        ops.put("Relu", x -> Math.max(x, 0));
        ops.put("Sigmoid", x -> 1 / (1 + Math.exp(-x)));
        ops.put("HardSwish", x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)));
        ops.put("HardSigmoid", x -> Math.max(0, Math.min(1, 0.2 * x + 0.5)));
        ops.put("LeakyRelu", x -> x < 0 ? 0.01 * x : x);
        ops.put("Tanh", Math::tanh);
        ops.put("Neg", x -> -x);
        ops.put("Abs", Math::abs);
        ops.put("Sqrt", Math::sqrt);
        ops.put("Exp", Math::exp);
        ops.put("Log", Math::log);
        ops.put("Reciprocal", x -> 1 / x);
        ops.put("Erf", x -> erfReference(x));
        ops.put("Softplus", x -> Math.log(1 + Math.exp(x)));
        ops.put("Gelu", x -> 0.5 * x * (1 + erfReference(x / Math.sqrt(2))));
        ops.put("Elu", x -> x < 0 ? Math.exp(x) - 1 : x);
        ops.put("Selu", x -> 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1)));
        ops.put("Celu", x -> Math.max(0, x) + Math.min(0, Math.exp(x) - 1));
        ops.put("Softsign", x -> x / (1 + Math.abs(x)));
        ops.put("Mish", x -> x * Math.tanh(Math.log(1 + Math.exp(x))));
        ops.put("ThresholdedRelu", x -> x > 1 ? x : 0);
        ops.put("Sin", Math::sin);
        ops.put("Cos", Math::cos);
        ops.put("Atan", Math::atan);
        ops.put("Sinh", Math::sinh);
        Random rnd = new Random(2);
        for (var e : ops.entrySet()) {
            for (int n : new int[] {1, 7, 17, 33, 1029, 70001}) {
                if ((e.getKey().equals("Erf") || e.getKey().equals("Gelu")) && n > 1029) continue; // the reference integrates per element
                for (int threads : new int[] {1, 2}) {
                    float[] xv = random(rnd, n);
                    Tensor x = window(rnd, xv, n);
                    Tensor y = run(e.getKey(), Map.of(), 17, threads, new Tensor[] {x}, TensorType.of(DType.FLOAT, n))[0];
                    for (int i = 0; i < n; i++) {
                        assertClose((float) e.getValue().applyAsDouble(xv[i]), y.getFloat(i), 2e-6, e.getKey() + " n=" + n + " element " + i);
                    }
                }
            }
        }
    }

    /** erf by midpoint-rule integration of 2/sqrt(pi) e^{-t^2}: slow and obviously right. */
    static double erfReference(double x) {
        int steps = 4000;
        double h = x / steps, s = 0;
        for (int i = 0; i < steps; i++) {
            double t = (i + 0.5) * h;
            s += Math.exp(-t * t);
        }
        return s * h * 2 / Math.sqrt(Math.PI);
    }

    @Test
    void clipReadsBoundsFromInputsOrAttributes() {
        Random rnd = new Random(3);
        float[] xv = random(rnd, 41);
        Tensor lo = Tensor.of(new float[] {-0.5f}), hi = Tensor.of(new float[] {1.25f});
        Tensor y11 = run("Clip", Map.of(), 13, 1, new Tensor[] {window(rnd, xv, 41), lo, hi}, TensorType.of(DType.FLOAT, 41))[0];
        Tensor yMaxOnly = run("Clip", Map.of(), 13, 1, new Tensor[] {window(rnd, xv, 41), null, hi}, TensorType.of(DType.FLOAT, 41))[0];
        Tensor y6 = run("Clip", Map.of("min", Attribute.of(-0.5f), "max", Attribute.of(1.25f)), 7, 1,
                new Tensor[] {window(rnd, xv, 41)}, TensorType.of(DType.FLOAT, 41))[0];
        for (int i = 0; i < 41; i++) {
            float want = Math.min(Math.max(xv[i], -0.5f), 1.25f);
            assertEquals(want, y11.getFloat(i));
            assertEquals(want, y6.getFloat(i));
            assertEquals(Math.min(xv[i], 1.25f), yMaxOnly.getFloat(i));
        }
    }

    @Test
    void powOfTwoIsTheSquare() {
        Random rnd = new Random(6);
        float[] xv = random(rnd, 45);
        Tensor y = run("Pow", Map.of(), 15, 1, new Tensor[] {window(rnd, xv, 45), Tensor.scalar(2f)}, TensorType.of(DType.FLOAT, 45))[0];
        for (int i = 0; i < 45; i++) assertEquals((float) Math.pow(xv[i], 2), y.getFloat(i));
    }

    @Test
    void variadicOpsBroadcastAllInputs() {
        Random rnd = new Random(4);
        int[] s0 = {2, 1, 5}, s1 = {3, 1}, s2 = {5};
        int[] out = Broadcast.shape(s0, s1, s2);
        float[] a = random(rnd, 10), b = random(rnd, 3), c = random(rnd, 5);
        for (String op : new String[] {"Sum", "Mean", "Max", "Min"}) {
            Tensor[] in = {window(rnd, a, s0), window(rnd, b, s1), window(rnd, c, s2)};
            Tensor y = run(op, Map.of(), 13, 1, in, TensorType.of(DType.FLOAT, out))[0];
            for (int i = 0; i < y.size(); i++) {
                float x0 = a[broadcastIndex(i, out, s0)], x1 = b[broadcastIndex(i, out, s1)], x2 = c[broadcastIndex(i, out, s2)];
                float want = switch (op) {
                    case "Sum" -> x0 + x1 + x2;
                    case "Mean" -> (x0 + x1 + x2) / 3;
                    case "Max" -> Math.max(Math.max(x0, x1), x2);
                    default -> Math.min(Math.min(x0, x1), x2);
                };
                assertClose(want, y.getFloat(i), 1e-6, op + " element " + i);
            }
        }
    }

    @Test
    void whereBroadcastsConditionAndBranches() {
        Random rnd = new Random(5);
        boolean[] c = new boolean[4];
        for (int i = 0; i < 4; i++) c[i] = rnd.nextBoolean();
        float[] x = random(rnd, 3 * 4), y = random(rnd, 3);
        int[] out = {3, 4};
        Tensor[] in = {Tensor.ofBools(c, 4), window(rnd, x, 3, 4), window(rnd, y, 3, 1)};
        Tensor z = run("Where", Map.of(), 16, 1, in, TensorType.of(DType.FLOAT, out))[0];
        for (int i = 0; i < 12; i++) assertEquals(c[i % 4] ? x[i] : y[i / 4], z.getFloat(i));
        Tensor zl = run("Where", Map.of(), 16, 1, new Tensor[] {Tensor.ofBools(c, 4), Tensor.ofLongs(new long[] {Long.MAX_VALUE}), Tensor.ofLongs(new long[] {-3, -4, -5, -6}, 4)},
                TensorType.of(DType.INT64, 4))[0];
        for (int i = 0; i < 4; i++) assertEquals(c[i] ? Long.MAX_VALUE : -3 - i, zl.getLong(i));
    }

    @Test
    void integerSemantics() {
        // Mod without fmod takes the divisor's sign (Python); with fmod the dividend's (C).
        Tensor a = Tensor.ofInts(new int[] {-7, 7, -7, 7}, 4), b = Tensor.ofInts(new int[] {3, -3, -3, 3}, 4);
        Tensor m = run("Mod", Map.of(), 13, 1, new Tensor[] {a, b}, TensorType.of(DType.INT32, 4))[0];
        Tensor f = run("Mod", Map.of("fmod", Attribute.of(1L)), 13, 1, new Tensor[] {a, b}, TensorType.of(DType.INT32, 4))[0];
        assertEquals("[2, -2, -1, 1]", java.util.Arrays.toString(m.toLongArray()));
        assertEquals("[-1, 1, -1, 1]", java.util.Arrays.toString(f.toLongArray()));
        // uint8 division and comparison are unsigned; int64 addition is exact beyond 2^53.
        Tensor u = Tensor.of(DType.UINT8, new byte[] {(byte) 200, 9}, 2), v = Tensor.of(DType.UINT8, new byte[] {3, (byte) 250}, 2);
        assertEquals("[66, 0]", java.util.Arrays.toString(run("Div", Map.of(), 14, 1, new Tensor[] {u, v}, TensorType.of(DType.UINT8, 2))[0].toLongArray()));
        Tensor less = run("Less", Map.of(), 13, 1, new Tensor[] {u, v}, TensorType.of(DType.BOOL, 2))[0];
        assertEquals(false, less.getBool(0));
        assertEquals(true, less.getBool(1));
        long big = (1L << 53) + 1;
        Tensor s = run("Add", Map.of(), 14, 1, new Tensor[] {Tensor.ofLongs(new long[] {big}, 1), Tensor.ofLongs(new long[] {2})},
                TensorType.of(DType.INT64, 1))[0];
        assertEquals(big + 2, s.getLong(0));
    }

    @Test
    void castDirectLoopsAgreeWithTheGenericConversion() {
        Random rnd = new Random(8);
        float[] fv = random(rnd, 29);
        fv[0] = 3.99f;
        fv[1] = -3.99f;
        Tensor f = window(rnd, fv, 29);
        byte[] bv = new byte[29];
        rnd.nextBytes(bv);
        Tensor u8 = Tensor.of(DType.UINT8, bv, 29), i8 = Tensor.of(DType.INT8, bv.clone(), 29);
        Tensor[][] pairs = {{f, null}, {u8, null}, {i8, null}};
        DType[][] targets = {{DType.DOUBLE, DType.FLOAT16, DType.INT32, DType.INT64, DType.BOOL}, {DType.FLOAT}, {DType.FLOAT}};
        for (int p = 0; p < pairs.length; p++) {
            for (DType to : targets[p]) {
                Tensor x = pairs[p][0];
                Tensor y = run("Cast", Map.of("to", Attribute.of((long) to.onnxCode())), 13, 1, new Tensor[] {x}, TensorType.of(to, 29))[0];
                Tensor want = x.cast(to);
                assertEquals(want.toString(), y.toString(), x.dtype() + " to " + to);
                for (int i = 0; i < 29; i++) assertEquals(want.getDouble(i), y.getDouble(i), x.dtype() + " to " + to + " element " + i);
                if (to != DType.FLOAT && to != DType.DOUBLE && to != DType.FLOAT16) continue;
                // Back to float for the integer-to-float direct loops.
                Tensor back = run("Cast", Map.of("to", Attribute.of(1L)), 13, 1, new Tensor[] {y}, TensorType.of(DType.FLOAT, 29))[0];
                for (int i = 0; i < 29; i++) assertEquals((float) y.getDouble(i), back.getFloat(i));
            }
        }
        Tensor i32 = run("Cast", Map.of("to", Attribute.of(6L)), 13, 1, new Tensor[] {f}, TensorType.of(DType.INT32, 29))[0];
        assertEquals(3, i32.getLong(0));
        assertEquals(-3, i32.getLong(1));
    }

    @Test
    void unsupportedDtypesFailAtCreation() {
        Tensor s = Tensor.ofStrings(new String[] {"a"}, 1);
        assertThrows(EdgeoptException.class, () -> run("Add", Map.of(), 14, 1, new Tensor[] {s, s}, TensorType.of(DType.STRING, 1)));
        Tensor i = Tensor.ofInts(new int[] {1}, 1);
        assertThrows(EdgeoptException.class, () -> run("Sigmoid", Map.of(), 14, 1, new Tensor[] {i}, TensorType.of(DType.INT32, 1)));
        Tensor zero = Tensor.ofInts(new int[] {0}, 1);
        String m = assertThrows(EdgeoptException.class, () -> run("Div", Map.of(), 14, 1, new Tensor[] {i, zero}, TensorType.of(DType.INT32, 1))).getMessage();
        assertEquals("node n (Div): integer division by zero", m);
    }
}
