package dev.edgeopt.models;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A compact API for edge networks that produces a plain ONNX-op {@link Graph} with a symbolic batch
 * dimension {@code N}. The builder tracks every value's shape itself, so each value carries its
 * type and the graph exports as is. Weights are initialized from one seeded generator in build
 * order: He-normal for layers followed by a rectifier, Glorot-uniform otherwise, BatchNormalization
 * at scale 1, shift 0, running mean 0 and variance 1, biases 0.
 *
 * <p>Every block is spelled with standard ops (Conv, BatchNormalization, Relu, Clip, HardSwish,
 * Add, Mul, GlobalAveragePool, Flatten, Gemm) so that training, inference, export and the C emitter
 * all see the same names.
 */
public final class ModelBuilder {
    private final Graph g;
    private final SplittableRandom rng;
    private int counter;

    /** A handle on a value with its per-sample shape (without the batch dimension). */
    public record T(Value value, int[] shape) {
        public int channels() { return shape[0]; }
    }

    public ModelBuilder(String name, long seed) {
        this.g = new Graph(name);
        this.rng = new SplittableRandom(seed);
        g.metadata().put("edgeopt.seed", Long.toString(seed));
    }

    public Graph graph() { return g; }

    /** The model input "input" of shape [N, sampleShape...]. */
    public T input(String name, int... sampleShape) {
        Value v = g.addInput(name, type(sampleShape));
        return new T(v, sampleShape.clone());
    }

    private static TensorType type(int[] sample) {
        Dim[] d = new Dim[sample.length + 1];
        d[0] = Dim.sym("N");
        for (int i = 0; i < sample.length; i++) d[i + 1] = Dim.of(sample[i]);
        return new TensorType(DType.FLOAT, Shape.of(d));
    }

    private String name(String base) { return g.uniqueName(base + (++counter)); }

    private T node(String op, String base, List<Value> ins, int[] outShape, Attribute... kv) {
        Node n = g.addNode(op, name(base), ins, 1);
        for (int i = 0; i + 1 < kv.length; i += 2) n.setAttr(kv[i].asString(), kv[i + 1]);
        Value out = n.output(0);
        out.setType(type(outShape));
        return new T(out, outShape);
    }

    private static Attribute key(String k) { return Attribute.of(k); }

    private Value init(String base, Tensor t) { return g.addInitializer(g.uniqueName(base), t); }

    private Tensor he(int fanIn, int... shape) {
        float[] a = new float[Tensor.numel(shape)];
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextGaussian() * std);
        return Tensor.of(a, shape);
    }

    private Tensor glorot(int fanIn, int fanOut, int... shape) {
        float[] a = new float[Tensor.numel(shape)];
        double lim = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * lim);
        return Tensor.of(a, shape);
    }

    private static Tensor fill(float v, int n) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return Tensor.of(a, n);
    }

    // ------------------------------------------------------------------ layers

    /**
     * (x - mean) / std per channel (axis 0 of the sample), as Sub and Div by [C,1,...] constants:
     * normalization lives in the graph, so the exported model takes raw [0,1] samples.
     */
    public T normalize(T x, float[] mean, float[] std) {
        int c = x.channels();
        if (mean.length != c || std.length != c) throw new EdgeoptException("normalize: " + mean.length + " means and " + std.length + " deviations for " + c + " channels");
        int[] s = new int[x.shape().length];
        Arrays.fill(s, 1);
        s[0] = c;
        for (float v : std) if (!(v > 0)) throw new EdgeoptException("normalize: standard deviations must be > 0");
        Value m = init("input.mean", Tensor.of(mean.clone(), s)), d = init("input.std", Tensor.of(std.clone(), s));
        String prev = g.metadata().getOrDefault(dev.edgeopt.train.Parameters.FROZEN, "");
        g.metadata().put(dev.edgeopt.train.Parameters.FROZEN, (prev.isEmpty() ? "" : prev + ",") + m.name() + "," + d.name());
        T centred = node("Sub", "norm_sub", List.of(x.value(), m), x.shape());
        return node("Div", "norm_div", List.of(centred.value(), d), x.shape());
    }

    /** Conv with "same"-style symmetric padding (k/2), no bias (a BatchNormalization follows). */
    public T conv(T x, int out, int k, int stride, int groups, boolean bias, boolean rectified) {
        int[] s = x.shape();
        if (s.length != 3) throw new EdgeoptException("conv needs a [C,H,W] input, got " + Arrays.toString(s));
        int c = s[0];
        if (c % groups != 0 || out % groups != 0) throw new EdgeoptException("conv: " + c + " -> " + out + " channels do not split into " + groups + " groups");
        int pad = k / 2;
        int oh = (s[1] + 2 * pad - k) / stride + 1, ow = (s[2] + 2 * pad - k) / stride + 1;
        int fanIn = c / groups * k * k;
        Tensor w = rectified ? he(fanIn, out, c / groups, k, k) : glorot(fanIn, out / groups * k * k, out, c / groups, k, k);
        List<Value> ins = new ArrayList<>(List.of(x.value(), init("conv" + (counter + 1) + ".weight", w)));
        if (bias) ins.add(init("conv" + (counter + 1) + ".bias", fill(0f, out)));
        return node("Conv", "conv", ins, new int[] {out, oh, ow},
                key("kernel_shape"), Attribute.ofInts(k, k), key("strides"), Attribute.ofInts(stride, stride),
                key("pads"), Attribute.ofInts(pad, pad, pad, pad), key("group"), Attribute.of((long) groups));
    }

    public T batchNorm(T x) {
        int c = x.channels();
        String b = "bn" + (counter + 1);
        return node("BatchNormalization", "bn", List.of(x.value(), init(b + ".weight", fill(1f, c)), init(b + ".bias", fill(0f, c)),
                init(b + ".running_mean", fill(0f, c)), init(b + ".running_var", fill(1f, c))), x.shape(),
                key("epsilon"), Attribute.of(1e-5f), key("momentum"), Attribute.of(0.9f));
    }

    /** An activation by op name (Relu, Clip for Relu6, HardSwish, HardSigmoid, Sigmoid, Tanh, LeakyRelu), or none for NONE. */
    public T act(T x, Activation a) {
        return switch (a) {
            case NONE -> x;
            case CLIP -> node("Clip", "relu6", List.of(x.value(), init("relu6.min", Tensor.scalar(0f)), init("relu6.max", Tensor.scalar(6f))), x.shape());
            default -> node(a.opName(), a.opName().toLowerCase(), List.of(x.value()), x.shape());
        };
    }

    /** Conv (k x k, stride) then BatchNormalization then the activation. */
    public T convBnAct(T x, int out, int k, int stride, Activation a) {
        return act(batchNorm(conv(x, out, k, stride, 1, false, a != Activation.NONE)), a);
    }

    /** MobileNet's depthwise-separable block: depthwise k x k conv-bn-act, then pointwise 1x1 conv-bn-act. */
    public T depthwiseSeparable(T x, int out, int stride, Activation a) {
        T d = act(batchNorm(conv(x, x.channels(), 3, stride, x.channels(), false, true)), a);
        return convBnAct(d, out, 1, 1, a);
    }

    /**
     * ResNet's basic block: two 3x3 conv-bn (activation after the first), a shortcut that is the
     * identity or a 1x1 strided conv (with bias, as MLPerf Tiny's ResNet-8 has) when the shape
     * changes, their sum, then the activation.
     */
    public T residual(T x, int out, int stride, Activation a) {
        T y = convBnAct(x, out, 3, stride, a);
        y = batchNorm(conv(y, out, 3, 1, 1, false, false));
        T sc = x;
        if (stride != 1 || x.channels() != out) sc = conv(x, out, 1, stride, 1, true, false);
        T sum = node("Add", "add", List.of(y.value(), sc.value()), y.shape());
        return act(sum, a);
    }

    /**
     * Squeeze-excitation: global average pool, a 1x1 conv reducing channels by {@code ratio}, Relu,
     * a 1x1 conv back, HardSigmoid, and a channel-wise product with the input.
     */
    public T squeezeExcite(T x, int ratio) {
        int c = x.channels(), r = Math.max(1, c / ratio);
        T s = node("GlobalAveragePool", "se_pool", List.of(x.value()), new int[] {c, 1, 1});
        s = act(conv(s, r, 1, 1, 1, true, true), Activation.RELU);
        s = node("HardSigmoid", "se_gate", List.of(conv(s, c, 1, 1, 1, true, false).value()), new int[] {c, 1, 1},
                key("alpha"), Attribute.of(1f / 6f), key("beta"), Attribute.of(0.5f));
        return node("Mul", "se_mul", List.of(x.value(), s.value()), x.shape());
    }

    public T maxPool(T x, int k, int stride) {
        int[] s = x.shape();
        return node("MaxPool", "maxpool", List.of(x.value()), new int[] {s[0], (s[1] - k) / stride + 1, (s[2] - k) / stride + 1},
                key("kernel_shape"), Attribute.ofInts(k, k), key("strides"), Attribute.ofInts(stride, stride));
    }

    public T globalAvgPool(T x) {
        return node("GlobalAveragePool", "gap", List.of(x.value()), new int[] {x.channels(), 1, 1});
    }

    public T flatten(T x) {
        return node("Flatten", "flatten", List.of(x.value()), new int[] {Tensor.numel(x.shape())}, key("axis"), Attribute.of(1L));
    }

    /** Gemm with weight [out, in] (transB=1, the layout frameworks export) and a bias. */
    public T dense(T x, int out, boolean rectified) {
        if (x.shape().length != 1) x = flatten(x);
        int in = x.shape()[0];
        Tensor w = rectified ? he(in, out, in) : glorot(in, out, out, in);
        int id = counter + 1;
        return node("Gemm", "fc", List.of(x.value(), init("fc" + id + ".weight", w), init("fc" + id + ".bias", fill(0f, out))), new int[] {out},
                key("transB"), Attribute.of(1L));
    }

    /** Names the graph output "logits" and returns the finished graph. */
    public Graph build(T out) {
        g.rename(out.value(), g.value("logits") == null ? "logits" : g.uniqueName("logits"));
        g.addOutput(out.value());
        return g;
    }
}
