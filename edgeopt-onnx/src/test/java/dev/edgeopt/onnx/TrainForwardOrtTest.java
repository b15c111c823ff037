package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.train.Parameters;
import dev.edgeopt.train.Tape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The training engine's inference-mode forward of every op with a gradient rule, and of the
 * reference architectures, against ONNX Runtime: the finite-difference tests show the gradients
 * match the forward, this shows the forward is ONNX's.
 */
class TrainForwardOrtTest {
    private final SplittableRandom rnd = new SplittableRandom(8);

    private Tensor rand(int... shape) {
        float[] a = new float[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 4 - 2);
        return Tensor.of(a, shape);
    }

    private Tensor positive(int... shape) {
        Tensor t = rand(shape);
        for (int i = 0; i < t.size(); i++) t.floats()[i] = Math.abs(t.floats()[i]) + 0.5f;
        return t;
    }

    /** Runs a one-node graph in the Tape (inference mode) and in ORT and compares. */
    private void check(String op, Tensor[] inputs, Tensor[] consts, Object... attrs) {
        Graph g = new Graph(op);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) ins.add(g.addInput("x" + i, inputs[i].type()));
        for (int i = 0; i < consts.length; i++) ins.add(g.addInitializer("c" + i, consts[i]));
        Node n = g.addNode(op, "node", ins, List.of("y"));
        for (int i = 0; i < attrs.length; i += 2) n.setAttr((String) attrs[i], (Attribute) attrs[i + 1]);
        g.addOutput(n.output(0));
        ShapeInference.annotate(g, null);
        compare(g, inputs);
    }

    private static void compare(Graph g, Tensor... inputs) {
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) shapes[i] = inputs[i].shape();
        Tape t = new Tape(g, new Parameters(g), shapes, ThreadPool.shared(2), 0, false);
        for (int i = 0; i < inputs.length; i++) inputs[i].copyTo(t.input(i));
        Tensor mine = t.forward(false)[0];
        Tensor ort;
        try (OrtRunner r = new OrtRunner(g, 1, OrtRunner.OptLevel.NONE)) {
            ort = r.run(inputs)[0];
        }
        assertArrayEquals(ort.dims(), mine.dims(), g.name());
        assertNull(Conformance.compare(ort, mine, 1e-4, 1e-4), g.name());
    }

    private static Attribute ints(int... v) { return Attribute.ofInts(v); }

    @Test
    void convolutions() {
        check("Conv", new Tensor[] {rand(2, 3, 9, 8)}, new Tensor[] {rand(4, 3, 3, 3), rand(4)});
        check("Conv", new Tensor[] {rand(2, 3, 9, 8)}, new Tensor[] {rand(2, 3, 3, 2), rand(2)},
                "strides", ints(2, 3), "pads", ints(1, 2, 2, 0), "dilations", ints(2, 1));
        check("Conv", new Tensor[] {rand(2, 4, 6, 6)}, new Tensor[] {rand(6, 2, 3, 3)}, "group", Attribute.of(2L), "pads", ints(1, 1, 1, 1));
        check("Conv", new Tensor[] {rand(2, 5, 7, 7)}, new Tensor[] {rand(5, 1, 3, 3), rand(5)}, "group", Attribute.of(5L), "pads", ints(1, 1, 1, 1), "strides", ints(2, 2));
        check("Conv", new Tensor[] {rand(3, 8, 5, 5)}, new Tensor[] {rand(16, 8, 1, 1)});
        // Stride 1 with output width = input width (whole shifted planes), depthwise stride 1, a
        // channel multiplier, and planes large enough for one sample per GEMM chunk.
        check("Conv", new Tensor[] {rand(2, 2, 6, 7)}, new Tensor[] {rand(3, 2, 3, 3), rand(3)}, "pads", ints(2, 1, 0, 3), "dilations", ints(1, 2));
        check("Conv", new Tensor[] {rand(3, 4, 6, 5)}, new Tensor[] {rand(4, 1, 3, 3), rand(4)}, "group", Attribute.of(4L), "pads", ints(1, 1, 1, 1));
        check("Conv", new Tensor[] {rand(3, 2, 6, 5)}, new Tensor[] {rand(4, 1, 3, 3)}, "group", Attribute.of(2L), "pads", ints(1, 1, 1, 1));
        check("Conv", new Tensor[] {rand(5, 3, 24, 24)}, new Tensor[] {rand(8, 3, 3, 3), rand(8)}, "pads", ints(1, 1, 1, 1));
        check("Conv", new Tensor[] {rand(1, 2, 7, 6)}, new Tensor[] {rand(3, 2, 3, 3)}, "auto_pad", Attribute.of("SAME_UPPER"), "strides", ints(2, 2));
        check("Conv", new Tensor[] {rand(1, 2, 7, 6)}, new Tensor[] {rand(3, 2, 2, 2)}, "auto_pad", Attribute.of("SAME_LOWER"), "strides", ints(2, 2));
    }

    @Test
    void dense() {
        check("Gemm", new Tensor[] {rand(5, 7)}, new Tensor[] {rand(9, 7), rand(9)}, "transB", Attribute.of(1L));
        check("Gemm", new Tensor[] {rand(5, 7)}, new Tensor[] {rand(7, 9), rand(5, 1)}, "alpha", Attribute.of(0.5f), "beta", Attribute.of(2f));
        check("MatMul", new Tensor[] {rand(2, 3, 7)}, new Tensor[] {rand(7, 4)});
        check("MatMul", new Tensor[] {rand(2, 3, 7), rand(2, 7, 4)}, new Tensor[0]);
    }

    @Test
    void batchNormalizationInference() {
        check("BatchNormalization", new Tensor[] {rand(3, 4, 5, 5)}, new Tensor[] {rand(4), rand(4), rand(4), positive(4)}, "epsilon", Attribute.of(1e-3f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"})
    void activations(String op) {
        check(op, new Tensor[] {rand(4, 33)}, new Tensor[0]);
    }

    @Test
    void clip() {
        check("Clip", new Tensor[] {rand(4, 33)}, new Tensor[] {Tensor.scalar(0f), Tensor.scalar(1f)});
    }

    @ParameterizedTest
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void arithmetic(String op) {
        check(op, new Tensor[] {rand(2, 3, 4, 5), positive(3, 1, 5)}, new Tensor[0]);
        check(op, new Tensor[] {rand(2, 3, 4, 5)}, new Tensor[] {positive(2, 3, 4, 5)});
    }

    @Test
    void shapes() {
        check("Concat", new Tensor[] {rand(2, 3, 4), rand(2, 5, 4)}, new Tensor[0], "axis", Attribute.of(1L));
        check("Reshape", new Tensor[] {rand(2, 3, 4)}, new Tensor[] {Tensor.vector(0L, -1L)});
        check("Flatten", new Tensor[] {rand(2, 3, 4)}, new Tensor[0], "axis", Attribute.of(2L));
        check("Transpose", new Tensor[] {rand(2, 3, 4)}, new Tensor[0], "perm", ints(2, 0, 1));
        check("Dropout", new Tensor[] {rand(2, 3, 4)}, new Tensor[] {Tensor.scalar(0.3f)});
    }

    @Test
    void pools() {
        check("MaxPool", new Tensor[] {rand(2, 2, 7, 7)}, new Tensor[0], "kernel_shape", ints(3, 3), "strides", ints(2, 2), "pads", ints(1, 1, 1, 1));
        check("MaxPool", new Tensor[] {rand(2, 2, 8, 7)}, new Tensor[0], "kernel_shape", ints(2, 2), "strides", ints(2, 2), "ceil_mode", Attribute.of(1L));
        for (long cp : new long[] {0, 1}) {
            check("AveragePool", new Tensor[] {rand(2, 2, 6, 5)}, new Tensor[0], "kernel_shape", ints(3, 2), "strides", ints(2, 2),
                    "pads", ints(1, 0, 1, 1), "count_include_pad", Attribute.of(cp), "ceil_mode", Attribute.of(1L));
        }
        check("GlobalAveragePool", new Tensor[] {rand(3, 4, 5, 5)}, new Tensor[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn", "dscnn", "resnet8"})
    void architectures(String arch) {
        Graph g = Architectures.build(arch, new int[] {1, 28, 28}, 10, 0.5, -1, 3, new float[][] {{0.3f}, {0.4f}});
        // Non-trivial running statistics, so inference-mode normalization is exercised.
        for (Value v : g.initializers()) {
            if (v.name().endsWith("running_var")) g.setConstant(v, positive(v.constant().dims()));
            if (v.name().endsWith("running_mean") || v.name().endsWith(".bias")) g.setConstant(v, rand(v.constant().dims()));
        }
        Tensor x = rand(3, 1, 28, 28);
        for (int i = 0; i < x.size(); i++) x.floats()[i] = Math.abs(x.floats()[i]) / 2;
        compare(g, x);
        // The export carries the same graph to ONNX Runtime byte for byte.
        Graph back = OnnxImporter.fromBytes(OnnxExporter.toBytes(g), arch);
        compare(back, x);
    }
}
