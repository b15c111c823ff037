package dev.edgeopt.cli;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The small residual conv net {@code edgeopt demo} runs: image [1,3,32,32] -> Conv 16 + Relu ->
 * Conv 16 + residual Add + Relu -> Conv 32 stride 2 + Relu -> GlobalAveragePool -> Flatten -> Gemm
 * -> logits [1,10]. Weights are He-initialized from a fixed seed, so every build is the same bytes.
 */
final class DemoModel {
    private DemoModel() {}

    static final long SEED = 20261125L;

    static Graph build() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        Graph g = new Graph("edgeopt_demo");
        g.setOpset(17);
        Value x = g.addInput("image", TensorType.of(DType.FLOAT, 1, 3, 32, 32));
        Value a = relu(g, conv(g, rnd, "conv1", x, 3, 16, 1), "relu1");
        Value b = conv(g, rnd, "conv2", a, 16, 16, 1);
        Value r = relu(g, g.addNode("Add", "residual", List.of(a, b), 1).output(0), "relu2");
        Value c = relu(g, conv(g, rnd, "conv3", r, 16, 32, 2), "relu3");
        Value p = g.addNode("GlobalAveragePool", "pool", List.of(c), 1).output(0);
        Value f = g.addNode("Flatten", "flatten", List.of(p), 1).output(0);
        Value w = g.addInitializer("fc.weight", heInit(rnd, 32, 10, 32));
        Value bias = g.addInitializer("fc.bias", Tensor.allocate(DType.FLOAT, 10));
        Node fc = g.addNode("Gemm", "fc", List.of(f, w, bias), List.of("logits"));
        fc.setAttr("transB", Attribute.of(1L));
        g.addOutput(fc.output(0));
        ShapeInference.annotate(g, Executor.evaluator());
        return g;
    }

    private static Value conv(Graph g, SplittableRandom rnd, String name, Value in, int cin, int cout, int stride) {
        Value w = g.addInitializer(name + ".weight", heInit(rnd, cin * 9, cout, cin, 3, 3));
        Tensor bias = Tensor.allocate(DType.FLOAT, cout);
        for (int i = 0; i < cout; i++) bias.floats()[i] = (float) rnd.nextDouble(-0.1, 0.1);
        Value b = g.addInitializer(name + ".bias", bias);
        Node n = g.addNode("Conv", name, List.of(in, w, b), 1);
        n.setAttr("kernel_shape", Attribute.of(new long[] {3, 3}));
        n.setAttr("pads", Attribute.of(new long[] {1, 1, 1, 1}));
        n.setAttr("strides", Attribute.of(new long[] {stride, stride}));
        return n.output(0);
    }

    private static Value relu(Graph g, Value in, String name) {
        return g.addNode("Relu", name, List.of(in), 1).output(0);
    }

    /** Uniform in [-sqrt(6/fanIn), sqrt(6/fanIn)): keeps activations in range through the ReLUs. */
    private static Tensor heInit(SplittableRandom rnd, int fanIn, int... shape) {
        Tensor t = Tensor.allocate(DType.FLOAT, shape);
        double lim = Math.sqrt(6.0 / fanIn);
        for (int i = 0; i < t.size(); i++) t.floats()[i] = (float) rnd.nextDouble(-lim, lim);
        return t;
    }
}
