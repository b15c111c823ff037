package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every gradient rule against finite differences. */
class GradRulesTest {
    private final SplittableRandom rnd = new SplittableRandom(1);

    private Tensor rand(int... shape) { return Tensor.of(GradCheck.random(rnd, Tensor.numel(shape), 1.0), shape); }

    private Tensor away(int... shape) { return Tensor.of(GradCheck.randomAwayFromZero(rnd, Tensor.numel(shape)), shape); }

    /** One node over graph inputs (float tensors given) and initializers (params). */
    private Graph single(String op, Tensor[] inputs, Tensor[] params, Attribute... attrs) {
        return single(op, inputs, params, new String[0], attrs);
    }

    private Graph single(String op, Tensor[] inputs, Tensor[] params, String[] keys, Attribute... attrs) {
        Graph g = new Graph(op);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) ins.add(GradCheck.input(g, "x" + i, inputs[i].dims()));
        for (int i = 0; i < params.length; i++) ins.add(params[i] == null ? null : g.addInitializer("p" + i, params[i]));
        Node n = g.addNode(op, op.toLowerCase(), ins, 1);
        for (int i = 0; i < attrs.length; i++) n.setAttr(keys[i], attrs[i]);
        g.addOutput(n.output(0));
        return g;
    }

    private static String[] k(String... s) { return s; }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void convPlain(int threads) {
        Graph g = single("Conv", new Tensor[] {rand(3, 2, 5, 6)}, new Tensor[] {rand(4, 2, 3, 3), rand(4)});
        GradCheck.check(g, new Tensor[] {rand(3, 2, 5, 6)}, threads);
    }

    @Test
    void convStridedPaddedDilated() {
        Tensor x = rand(2, 3, 7, 8);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(2, 3, 3, 2), rand(2)},
                k("strides", "pads", "dilations"), Attribute.ofInts(2, 3), Attribute.ofInts(1, 2, 2, 0), Attribute.ofInts(2, 1));
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void convGrouped() {
        Tensor x = rand(2, 4, 5, 5);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(6, 2, 3, 3)}, k("group", "pads"), Attribute.of(2L), Attribute.ofInts(1, 1, 1, 1));
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void convDepthwise() {
        Tensor x = rand(2, 3, 6, 6);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(3, 1, 3, 3), rand(3)},
                k("group", "pads", "strides"), Attribute.of(3L), Attribute.ofInts(1, 1, 1, 1), Attribute.ofInts(2, 2));
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @Test
    void convDepthwiseStridedDilatedPhasePlanes() {
        // Depthwise taps run over phase planes: stride 2 in rows (one row phase read with dilation 2),
        // stride 3 in columns, asymmetric pads, bias, 2 threads.
        Tensor x = rand(2, 3, 9, 11);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(3, 1, 3, 3), rand(3)},
                k("group", "strides", "dilations", "pads"), Attribute.of(3L), Attribute.ofInts(2, 3), Attribute.ofInts(2, 1), Attribute.ofInts(1, 0, 2, 1));
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void convDepthwiseStride1AndMultiplier() {
        Tensor x = rand(3, 2, 5, 6);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(2, 1, 3, 3)}, k("group", "pads"), Attribute.of(2L), Attribute.ofInts(1, 1, 1, 1));
        GradCheck.check(g, new Tensor[] {x}, 2);
        // Two output channels per input channel: the grouped GEMM path, not the depthwise loops.
        Graph m = single("Conv", new Tensor[] {x}, new Tensor[] {rand(4, 1, 3, 3), rand(4)}, k("group", "pads"), Attribute.of(2L), Attribute.ofInts(1, 1, 1, 1));
        GradCheck.check(m, new Tensor[] {x}, 1);
    }

    @Test
    void convSameWidthDilatedAsymmetricPads() {
        // Output width equals input width at stride 1: the unrolled rows are copied as whole shifted planes.
        Tensor x = rand(2, 2, 6, 7);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(3, 2, 3, 3), rand(3)},
                k("pads", "dilations"), Attribute.ofInts(2, 1, 0, 3), Attribute.ofInts(1, 2));
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void convLargePlanesSeveralChunks() {
        // 24x24 outputs: one sample per GEMM chunk, so each task runs several chunks.
        Tensor x = rand(3, 1, 24, 24);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(2, 1, 3, 3)}, k("pads"), Attribute.ofInts(1, 1, 1, 1));
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @Test
    void convStride2PhasePlanes() {
        // Stride 2 unrolls from phase-split planes: 20 columns per phase, output rows of 20 (a
        // whole vector and a masked tail in im2col); 3 samples on 2 threads; asymmetric pads.
        Tensor x = rand(3, 3, 9, 40);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(4, 3, 3, 3), rand(4)},
                k("pads", "strides"), Attribute.ofInts(1, 0, 0, 1), Attribute.ofInts(2, 2));
        GradCheck.check(g, new Tensor[] {x}, 2);
        // A 1x1 stride-2 shortcut reads one phase of four; odd sizes leave the last row and column unread.
        Tensor y = rand(2, 3, 7, 9);
        Graph s = single("Conv", new Tensor[] {y}, new Tensor[] {rand(2, 3, 1, 1), rand(2)}, k("strides"), Attribute.ofInts(2, 2));
        GradCheck.check(s, new Tensor[] {y}, 1);
    }

    @Test
    void convPointwise() {
        Tensor x = rand(3, 5, 4, 4);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(7, 5, 1, 1), rand(7)});
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void convSamePadding() {
        Tensor x = rand(1, 2, 5, 5);
        Graph g = single("Conv", new Tensor[] {x}, new Tensor[] {rand(2, 2, 3, 3)}, k("auto_pad", "strides"), Attribute.of("SAME_UPPER"), Attribute.ofInts(2, 2));
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void gemm(int transB) {
        Tensor x = rand(5, 19);
        Tensor w = transB == 1 ? rand(23, 19) : rand(19, 23);
        Graph g = single("Gemm", new Tensor[] {x}, new Tensor[] {w, rand(23)}, k("transB"), Attribute.of((long) transB));
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void gemmAlphaBetaMatrixBias() {
        Tensor x = rand(6, 4);
        Graph g = single("Gemm", new Tensor[] {x}, new Tensor[] {rand(4, 3), rand(6, 1)}, k("alpha", "beta"), Attribute.of(0.5f), Attribute.of(2f));
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @Test
    void matMul() {
        Tensor x = rand(2, 3, 20);
        Graph g = single("MatMul", new Tensor[] {x}, new Tensor[] {rand(20, 17)});
        GradCheck.check(g, new Tensor[] {x}, 2);
        Tensor a = rand(2, 3, 4), b = rand(2, 4, 5);
        GradCheck.check(single("MatMul", new Tensor[] {a, b}, new Tensor[0]), new Tensor[] {a, b}, 2);
    }

    @Test
    void batchNormTraining() {
        Tensor x = rand(4, 3, 3, 3);
        Graph g = single("BatchNormalization", new Tensor[] {x},
                new Tensor[] {rand(3), rand(3), Tensor.of(new float[3], 3), Tensor.of(new float[] {1, 1, 1}, 3)});
        GradCheck.check(g, new Tensor[] {x}, 2);
    }

    @Test
    void batchNormRunningStatistics() {
        float[] xs = {1, 2, 3, 4, 5, 6, 7, 8};
        Graph g = single("BatchNormalization", new Tensor[] {Tensor.of(xs, 4, 2)},
                new Tensor[] {Tensor.of(new float[] {1, 1}, 2), Tensor.of(new float[2], 2), Tensor.of(new float[] {10, 20}, 2), Tensor.of(new float[] {1, 1}, 2)},
                k("momentum"), Attribute.of(0.75f));
        Parameters p = new Parameters(g);
        Tape t = new Tape(g, p, new int[][] {{4, 2}}, ThreadPool.shared(1), 0, false);
        Tensor.of(xs, 4, 2).copyTo(t.input(0));
        Tensor y = t.forward(true)[0];
        // Channel 0 holds 1,3,5,7: mean 4, biased var 5, unbiased var 20/3.
        assertEquals((1 - 4) / Math.sqrt(5 + 1e-5), y.floats()[0], 1e-5);
        assertEquals(10 * 0.75 + 4 * 0.25, p.value("p2").floats()[0], 1e-5);
        assertEquals(1 * 0.75 + 20.0 / 3 * 0.25, p.value("p3").floats()[0], 1e-5);
        Tensor inf = t.forward(false)[0];
        double rm = 10 * 0.75 + 4 * 0.25, rv = 0.75 + 20.0 / 3 * 0.25;
        assertEquals((1 - rm) / Math.sqrt(rv + 1e-5), inf.floats()[0], 1e-5);
    }

    @Test
    void batchNormStatisticsFarFromZero() {
        // Mean 1000, spread 0.01: the batch variance must not cancel (a one-pass E[x^2] - E[x]^2
        // in float loses every digit of it). Checked against double.
        int n = 8, c = 2, hw = 25;
        float[] xs = new float[n * c * hw];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (1000 + 0.01 * (rnd.nextDouble() * 2 - 1) + (i / hw % c) * 3);
        Graph g = single("BatchNormalization", new Tensor[] {Tensor.of(xs, n, c, 5, 5)},
                new Tensor[] {Tensor.of(new float[] {1, 1}, 2), Tensor.of(new float[2], 2), Tensor.of(new float[2], 2), Tensor.of(new float[] {1, 1}, 2)},
                k("epsilon"), Attribute.of(1e-9f));
        Parameters p = new Parameters(g);
        Tape t = new Tape(g, p, new int[][] {{n, c, 5, 5}}, ThreadPool.shared(2), 0, false);
        Tensor.of(xs, n, c, 5, 5).copyTo(t.input(0));
        float[] y = t.forward(true)[0].floats();
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int q = 0; q < hw; q++) mean += xs[(i * c + ch) * hw + q];
            mean /= n * hw;
            for (int i = 0; i < n; i++) for (int q = 0; q < hw; q++) var += Math.pow(xs[(i * c + ch) * hw + q] - mean, 2);
            var /= n * hw;
            for (int i = 0; i < n; i++) {
                for (int q = 0; q < hw; q++) {
                    int j = (i * c + ch) * hw + q;
                    assertEquals((xs[j] - mean) / Math.sqrt(var + 1e-9), y[j], 2e-2, "channel " + ch + " element " + j);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"})
    void activations(String op) {
        Tensor x = Tensor.of(GradCheck.randomAwayFromZero(rnd, 60), 3, 20);
        for (int i = 0; i < 60; i++) x.floats()[i] *= 4; // spans the saturated parts of HardSigmoid/HardSwish
        for (int i = 0; i < 60; i++) if (Math.abs(Math.abs(x.floats()[i]) - 3) < 0.05 || Math.abs(Math.abs(x.floats()[i]) - 2.5) < 0.05) x.floats()[i] += 0.2f;
        Graph g = single(op, new Tensor[] {x}, new Tensor[0]);
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @Test
    void clipRelu6() {
        Tensor x = Tensor.of(GradCheck.randomAwayFromZero(rnd, 40), 40);
        for (int i = 0; i < 40; i++) x.floats()[i] *= 8;
        for (int i = 0; i < 40; i++) if (Math.abs(x.floats()[i] - 6) < 0.05) x.floats()[i] += 0.3f;
        Graph g = single("Clip", new Tensor[] {x}, new Tensor[] {Tensor.scalar(0f), Tensor.scalar(6f)});
        GradCheck.check(g, new Tensor[] {x}, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void broadcastingArithmetic(String op) {
        Tensor a = rand(2, 3, 4, 5), b = away(3, 1, 5);
        GradCheck.check(single(op, new Tensor[] {a, b}, new Tensor[0]), new Tensor[] {a, b}, 1);
        Tensor c = rand(2, 3, 1, 1), d = away(2, 3, 4, 4);
        GradCheck.check(single(op, new Tensor[] {c, d}, new Tensor[0]), new Tensor[] {c, d}, 1);
        Tensor e = rand(4, 6), f = away(4, 6);
        GradCheck.check(single(op, new Tensor[] {e, f}, new Tensor[0]), new Tensor[] {e, f}, 1);
    }

    @Test
    void concat() {
        Tensor a = rand(2, 3, 4), b = rand(2, 5, 4);
        GradCheck.check(single("Concat", new Tensor[] {a, b}, new Tensor[0], k("axis"), Attribute.of(1L)), new Tensor[] {a, b}, 1);
    }

    @Test
    void reshapeFlattenTranspose() {
        Tensor a = rand(2, 3, 4);
        GradCheck.check(single("Reshape", new Tensor[] {a}, new Tensor[] {Tensor.vector(0L, -1L)}), new Tensor[] {a}, 1);
        GradCheck.check(single("Flatten", new Tensor[] {a}, new Tensor[0], k("axis"), Attribute.of(2L)), new Tensor[] {a}, 1);
        GradCheck.check(single("Transpose", new Tensor[] {a}, new Tensor[0], k("perm"), Attribute.ofInts(2, 0, 1)), new Tensor[] {a}, 1);
    }

    @Test
    void maxPool() {
        Tensor x = rand(2, 2, 7, 7);
        GradCheck.check(single("MaxPool", new Tensor[] {x}, new Tensor[0], k("kernel_shape", "strides", "pads"),
                Attribute.ofInts(3, 3), Attribute.ofInts(2, 2), Attribute.ofInts(1, 1, 1, 1)), new Tensor[] {x}, 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void averagePool(int countPad) {
        Tensor x = rand(2, 2, 6, 5);
        GradCheck.check(single("AveragePool", new Tensor[] {x}, new Tensor[0], k("kernel_shape", "strides", "pads", "count_include_pad", "ceil_mode"),
                Attribute.ofInts(3, 2), Attribute.ofInts(2, 2), Attribute.ofInts(1, 0, 1, 1), Attribute.of((long) countPad), Attribute.of(1L)), new Tensor[] {x}, 1);
    }

    @Test
    void globalAveragePool() {
        Tensor x = rand(3, 4, 5, 5);
        GradCheck.check(single("GlobalAveragePool", new Tensor[] {x}, new Tensor[0]), new Tensor[] {x}, 1);
    }

    @Test
    void dropout() {
        Tensor x = rand(4, 50);
        Graph g = single("Dropout", new Tensor[] {x}, new Tensor[] {Tensor.scalar(0.3f)});
        GradCheck.check(g, new Tensor[] {x}, 1);
        Parameters p = new Parameters(g);
        Tape t = new Tape(g, p, new int[][] {{4, 50}}, ThreadPool.shared(1), 3, false);
        Arrays.fill(t.input(0).floats(), 1f);
        float[] y = t.forward(true)[0].floats();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.7f, v, 1e-6);
        }
        assertTrue(zeros > 30 && zeros < 90, "about 30% dropped, got " + zeros);
        float[] inf = t.forward(false)[0].floats();
        for (float v : inf) assertEquals(1f, v);
    }

    @Test
    void smallNetworkEndToEnd() {
        // conv-bn-relu -> maxpool -> residual add -> GAP -> flatten -> gemm: rules composed.
        Graph g = new Graph("net");
        Value x = GradCheck.input(g, "x", 2, 2, 6, 6);
        Node c = g.addNode("Conv", "c", List.of(x, g.addInitializer("w", rand(3, 2, 3, 3))), 1);
        c.setAttr("pads", Attribute.ofInts(1, 1, 1, 1));
        Node bn = g.addNode("BatchNormalization", "bn", List.of(c.output(0), g.addInitializer("s", rand(3)), g.addInitializer("b", rand(3)),
                g.addInitializer("m", Tensor.of(new float[3], 3)), g.addInitializer("v", Tensor.of(new float[] {1, 1, 1}, 3))), 1);
        Node act = g.addNode("Tanh", "t", List.of(bn.output(0)), 1);
        Node c2 = g.addNode("Conv", "c2", List.of(act.output(0), g.addInitializer("w2", rand(3, 3, 1, 1))), 1);
        Node add = g.addNode("Add", "add", List.of(act.output(0), c2.output(0)), 1);
        Node gap = g.addNode("GlobalAveragePool", "gap", List.of(add.output(0)), 1);
        Node fl = g.addNode("Flatten", "fl", List.of(gap.output(0)), 1);
        Node fc = g.addNode("Gemm", "fc", List.of(fl.output(0), g.addInitializer("fw", rand(4, 3)), g.addInitializer("fb", rand(4))), 1);
        fc.setAttr("transB", Attribute.of(1L));
        g.addOutput(fc.output(0));
        GradCheck.check(g, new Tensor[] {rand(2, 2, 6, 6)}, 2);
    }

    @Test
    void batchNormReluFoldedAndNot() {
        // bn1 -> relu alone: folded into the BN op. bn2 -> relu and the residual add: not folded.
        // The add -> relu: folded into the Add.
        Graph g = new Graph("bnrelu");
        Value x = GradCheck.input(g, "x", 3, 2, 5, 5);
        Node c = g.addNode("Conv", "c", List.of(x, g.addInitializer("w", rand(3, 2, 3, 3))), 1);
        c.setAttr("pads", Attribute.ofInts(1, 1, 1, 1));
        Node bn1 = g.addNode("BatchNormalization", "bn1", List.of(c.output(0), g.addInitializer("s", rand(3)), g.addInitializer("b", rand(3)),
                g.addInitializer("m", Tensor.of(new float[3], 3)), g.addInitializer("v", Tensor.of(new float[] {1, 1, 1}, 3))), 1);
        Node r1 = g.addNode("Relu", "r1", List.of(bn1.output(0)), 1);
        Node bn2 = g.addNode("BatchNormalization", "bn2", List.of(r1.output(0), g.addInitializer("s2", rand(3)), g.addInitializer("b2", rand(3)),
                g.addInitializer("m2", Tensor.of(new float[3], 3)), g.addInitializer("v2", Tensor.of(new float[] {1, 1, 1}, 3))), 1);
        Node r2 = g.addNode("Relu", "r2", List.of(bn2.output(0)), 1);
        Node add = g.addNode("Add", "add", List.of(r2.output(0), bn2.output(0)), 1);
        // add -> relu alone: folded into the Add.
        Node r3 = g.addNode("Relu", "r3", List.of(add.output(0)), 1);
        Node gap = g.addNode("GlobalAveragePool", "gap", List.of(r3.output(0)), 1);
        Node fl = g.addNode("Flatten", "fl", List.of(gap.output(0)), 1);
        g.addOutput(fl.output(0));
        GradCheck.check(g, new Tensor[] {rand(3, 2, 5, 5)}, 2);
        // The folded forward is the unfolded one: a rule table without the standard Relu rule object disables folding.
        GradRules plain = copyWithOwnRelu(GradRules.standard());
        Tensor in = rand(3, 2, 5, 5);
        Tape folded = new Tape(g, new Parameters(g), new int[][] {{3, 2, 5, 5}}, ThreadPool.shared(1), 0, false);
        Tape unfolded = new Tape(g, new Parameters(g), new int[][] {{3, 2, 5, 5}}, ThreadPool.shared(1), 0, false, plain);
        in.copyTo(folded.input(0));
        in.copyTo(unfolded.input(0));
        assertArrayEquals(unfolded.forward(true)[0].floats(), folded.forward(true)[0].floats(), 1e-6f);
    }

    /** The same rules, but Relu's under a new rule object (which the tape does not fold). */
    private static GradRules copyWithOwnRelu(GradRules r) {
        GradRules out = new GradRules();
        for (String op : r.ops()) {
            GradRule rule = r.find(op);
            out.register(op, op.equals("Relu") ? ctx -> rule.create(ctx) : rule);
        }
        return out;
    }

    @Test
    void builderBlocksEndToEnd() {
        // conv-bn-HardSwish, depthwise-separable with Relu6 (Clip), squeeze-excitation (HardSigmoid gate, Mul),
        // a residual block with a projection shortcut, max pooling, GAP and dense: the builder's blocks composed.
        dev.edgeopt.models.ModelBuilder b = new dev.edgeopt.models.ModelBuilder("blocks", 3);
        var x = b.input("input", 3, 6, 6);
        x = b.convBnAct(x, 4, 3, 1, dev.edgeopt.engine.kernels.Activation.HARD_SWISH);
        x = b.depthwiseSeparable(x, 4, 2, dev.edgeopt.engine.kernels.Activation.TANH);
        x = b.squeezeExcite(x, 2);
        x = b.residual(x, 6, 1, dev.edgeopt.engine.kernels.Activation.SIGMOID);
        Graph g = b.build(b.dense(b.globalAvgPool(x), 3, false));
        GradCheck.check(g, new Tensor[] {rand(3, 3, 6, 6)}, 2, 1e-3, 3e-2);
    }

    @Test
    void unsupportedOpAndDtypeAreOneLineErrors() {
        Graph g = single("Softplus", new Tensor[] {rand(2)}, new Tensor[0]);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new Tape(g, new Parameters(g), new int[][] {{2}}, ThreadPool.shared(1), 0, false));
        assertTrue(e.getMessage().contains("Softplus") && !e.getMessage().contains("\n"), e.getMessage());
        Graph bad = single("Conv", new Tensor[] {rand(1, 3, 4, 4)}, new Tensor[] {rand(2, 2, 3, 3)});
        EdgeoptException e2 = assertThrows(EdgeoptException.class, () -> new Tape(bad, new Parameters(bad), new int[][] {{1, 3, 4, 4}}, ThreadPool.shared(1), 0, false));
        assertTrue(e2.getMessage().startsWith("node conv (Conv)"), e2.getMessage());
    }
}
