package dev.edgeopt.models;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.Graph;
import java.util.List;

/**
 * The reference edge models, for inputs [C, H, W] (Fashion-MNIST: [1, 28, 28]) and {@code classes}
 * outputs (logits). {@code width} scales every channel or unit count (rounded, at least 1) and
 * {@code depth} the number of repeated blocks; 1.0 and the default depth give the documented sizes.
 */
public final class Architectures {
    private Architectures() {}

    public static final List<String> NAMES = List.of("mlp", "cnn", "dscnn", "resnet8");

    public static Graph build(String arch, int[] input, int classes, double width, int depth, long seed) {
        return build(arch, input, classes, width, depth, seed, null);
    }

    /**
     * @param normalization per-channel {mean, std} applied inside the graph before the first layer
     *     (e.g. {@link dev.edgeopt.data.Dataset#channelStats()}), or null for none
     */
    public static Graph build(String arch, int[] input, int classes, double width, int depth, long seed, float[][] normalization) {
        if (!(width > 0)) throw new EdgeoptException("width must be > 0, got " + width);
        return switch (arch) {
            case "mlp" -> mlp(input, classes, width, depth, seed, normalization);
            case "cnn" -> cnn(input, classes, width, depth, seed, normalization);
            case "dscnn" -> dscnn(input, classes, width, depth, seed, normalization);
            case "resnet8" -> resnet8(input, classes, width, depth, seed, normalization);
            default -> throw new EdgeoptException("unknown architecture '" + arch + "'; choose one of " + NAMES);
        };
    }

    private static ModelBuilder.T input(ModelBuilder b, int[] input, float[][] norm) {
        ModelBuilder.T x = b.input("input", input);
        return norm == null ? x : b.normalize(x, norm[0], norm[1]);
    }

    public static Graph build(String arch, int[] input, int classes, double width, long seed) {
        return build(arch, input, classes, width, -1, seed);
    }

    static int w(int base, double width) { return Math.max(1, (int) Math.round(base * width)); }

    /** 784-300-100-10: dense layers with Relu; depth = number of hidden layers (default 2). */
    static Graph mlp(int[] input, int classes, double width, int depth, long seed, float[][] norm) {
        ModelBuilder b = new ModelBuilder("mlp", seed);
        ModelBuilder.T x = b.flatten(input(b, input, norm));
        int[] hidden = {300, 100, 50, 25};
        int d = depth < 0 ? 2 : depth;
        if (d > hidden.length) throw new EdgeoptException("mlp depth must be <= " + hidden.length);
        for (int i = 0; i < d; i++) x = b.act(b.dense(x, w(hidden[i], width), true), Activation.RELU);
        return b.build(b.dense(x, classes, false));
    }

    /** Conv-bn-relu blocks of 32, 64, 128 channels (strides 1, 2, 2), global average pooling, dense; depth = blocks (default 3). */
    static Graph cnn(int[] input, int classes, double width, int depth, long seed, float[][] norm) {
        ModelBuilder b = new ModelBuilder("cnn", seed);
        ModelBuilder.T x = input(b, input, norm);
        int d = depth < 0 ? 3 : depth;
        for (int i = 0; i < d; i++) x = b.convBnAct(x, w(32 << Math.min(i, 2), width), 3, i == 0 ? 1 : (i < 3 ? 2 : 1), Activation.RELU);
        return b.build(b.dense(b.globalAvgPool(x), classes, false));
    }

    /**
     * MobileNet-style: a 3x3 conv-bn-relu stem of 32 channels, then depthwise-separable blocks
     * 64/s2, 128/s1, 128/s2, 256/s1 (depth = number of blocks, default 4), global average pooling, dense.
     */
    static Graph dscnn(int[] input, int classes, double width, int depth, long seed, float[][] norm) {
        ModelBuilder b = new ModelBuilder("dscnn", seed);
        ModelBuilder.T x = b.convBnAct(input(b, input, norm), w(32, width), 3, 1, Activation.RELU);
        int[][] blocks = {{64, 2}, {128, 1}, {128, 2}, {256, 1}, {256, 1}, {256, 1}};
        int d = depth < 0 ? 4 : depth;
        if (d > blocks.length) throw new EdgeoptException("dscnn depth must be <= " + blocks.length);
        for (int i = 0; i < d; i++) x = b.depthwiseSeparable(x, w(blocks[i][0], width), blocks[i][1], Activation.RELU);
        return b.build(b.dense(b.globalAvgPool(x), classes, false));
    }

    /**
     * MLPerf Tiny's ResNet-8 (image classification), adapted to 1x28x28: a 3x3 conv-bn-relu stem of
     * 16 channels, residual stacks of 16 (stride 1), 32 (stride 2) and 64 (stride 2) channels
     * (28 -> 14 -> 7), global average pooling and a dense classifier. depth = stacks (default 3).
     */
    static Graph resnet8(int[] input, int classes, double width, int depth, long seed, float[][] norm) {
        ModelBuilder b = new ModelBuilder("resnet8", seed);
        ModelBuilder.T x = b.convBnAct(input(b, input, norm), w(16, width), 3, 1, Activation.RELU);
        int d = depth < 0 ? 3 : depth;
        for (int i = 0; i < d; i++) x = b.residual(x, w(16 << Math.min(i, 2), width), i == 0 ? 1 : 2, Activation.RELU);
        return b.build(b.dense(b.globalAvgPool(x), classes, false));
    }
}
