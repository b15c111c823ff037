package dev.edgeopt.passes;

import static dev.edgeopt.passes.Net.a;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;

/**
 * Seeded random networks built from the ops the passes rewrite, in the shapes exporters produce:
 * conv stacks with BN and activations, per-channel arithmetic, no-ops, layout round trips, Pad,
 * residual adds, decomposed HardSwish, and a MatMul + Add classifier head.
 */
final class RandomGraphs {
    private RandomGraphs() {}

    static final int[] OPSETS = {9, 11, 13, 14};

    static Graph build(long seed) { return build(seed, false); }

    /**
     * {@link #build} with a MobileNetV2 inverted-residual block (seeded: with or without
     * expansion, stride 1 or 2, residual or not) before the head, for fuse-inverted-residual.
     */
    static Graph buildWithBlock(long seed) { return build(seed, true); }

    private static Graph build(long seed, boolean withBlock) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 7919 + 1);
        int opset = OPSETS[r.nextInt(OPSETS.length)];
        Net n = new Net("random" + seed, opset, seed);
        int c = 4, hw = 8;
        Value cur = n.input("x", 1, c, hw, hw);
        int steps = 6 + r.nextInt(7);
        for (int s = 0; s < steps; s++) {
            switch (r.nextInt(10)) {
                case 0, 1, 2 -> {
                    boolean dw = r.nextInt(3) == 0;
                    int k = r.nextBoolean() ? 3 : 1;
                    int cout = dw ? c : 4 + 2 * r.nextInt(3);
                    Object[] attrs = k == 3 && r.nextBoolean() ? a("pads", new long[] {1, 1, 1, 1}) : a();
                    if (dw) attrs = concat(attrs, a("group", c));
                    Value w = n.rand(-0.5f, 0.5f, cout, dw ? 1 : c, k, k);
                    cur = r.nextBoolean() ? n.op("Conv", attrs, cur, w, n.rand(-0.1f, 0.1f, cout)) : n.op("Conv", attrs, cur, w);
                    if (k == 3 && !hasPads(attrs)) hw -= 2;
                    c = cout;
                    if (r.nextInt(5) < 3) cur = n.bn(cur, c);
                    cur = activation(n, r, cur, opset);
                }
                case 3 -> cur = r.nextBoolean() ? n.op("Add", cur, n.rand(-1, 1, c, 1, 1)) : n.op("Mul", cur, n.rand(0.5f, 1.5f, 1, c, 1, 1));
                case 4 -> cur = r.nextBoolean() ? n.op("Identity", cur)
                        : opset < 12 ? n.op("Dropout", a("ratio", 0.3f), cur) : n.op("Dropout", cur);
                case 5 -> {
                    Value t = n.op("Transpose", a("perm", new long[] {0, 2, 3, 1}), cur);
                    cur = n.op("Transpose", a("perm", new long[] {0, 3, 1, 2}), n.op("Relu", t));
                }
                case 6 -> {
                    Value f = n.op("Reshape", cur, n.longs(1, c, (long) hw * hw));
                    cur = n.op("Reshape", f, n.longs(1, c, hw, hw));
                }
                case 7 -> {
                    if (hw < 3) break;
                    Value p = opset < 11 ? n.op("Pad", a("pads", new long[] {0, 0, 1, 1, 0, 0, 1, 1}), cur)
                            : n.op("Pad", cur, n.longs(0, 0, 1, 1, 0, 0, 1, 1));
                    cur = n.conv(p, c, c, 3);
                }
                case 8 -> cur = n.op("Add", cur, n.op("Relu", n.conv(cur, c, c, 1)));
                default -> {
                    // BN in front of an unpadded 1x1 conv (pre-activation blocks).
                    cur = n.conv(n.bn(cur, c), c, c, 1);
                }
            }
        }
        if (withBlock) {
            // Its own random stream, so the layers above are those of build(seed).
            java.util.SplittableRandom b = new java.util.SplittableRandom(seed * 31 + 7);
            boolean expand = b.nextBoolean();
            int stride = 1 + b.nextInt(2);
            boolean residual = stride == 1 && b.nextBoolean();
            int mid = expand ? c * (2 + b.nextInt(4)) : c, cout = residual ? c : 3 + b.nextInt(5);
            cur = InvertedResidualTest.block(n, cur, c, mid, cout, stride, expand, residual, opset);
            c = cout;
        }
        Value f = n.op("Flatten", n.op("GlobalAveragePool", cur));
        Value y = n.op("Add", n.op("MatMul", f, n.rand(-1, 1, c, 5)), n.rand(-1, 1, 5));
        if (r.nextBoolean()) y = n.bn(y, 5);
        return n.out(n.op("Relu", y));
    }

    private static boolean hasPads(Object[] attrs) {
        for (int i = 0; i < attrs.length; i += 2) if (attrs[i].equals("pads")) return true;
        return false;
    }

    private static Object[] concat(Object[] x, Object[] y) {
        Object[] r = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    static Value activation(Net n, java.util.SplittableRandom r, Value x, int opset) {
        return switch (r.nextInt(8)) {
            case 0 -> x;
            case 1 -> n.op("Relu", x);
            case 2 -> opset < 11 ? n.op("Clip", a("min", 0f, "max", 6f), x) : n.op("Clip", x, n.scalar(0f), n.scalar(6f));
            case 3 -> n.op("LeakyRelu", a("alpha", 0.1f), x);
            case 4 -> n.op("Sigmoid", x);
            case 5 -> opset >= 14 ? n.op("HardSwish", x) : paddleHardSwish(n, x, opset);
            case 6 -> n.op("Mul", x, n.op("HardSigmoid", a("alpha", 1f / 6f, "beta", 0.5f), x));
            default -> n.op("HardSigmoid", a("alpha", 0.2f, "beta", 0.5f), x);
        };
    }

    /** x * Clip(x + 3, 0, 6) / 6, as PaddlePaddle writes hard_swish. */
    static Value paddleHardSwish(Net n, Value x, int opset) {
        Value p3 = n.op("Add", x, n.scalar(3f));
        Value cl = opset < 11 ? n.op("Clip", a("min", 0f, "max", 6f), p3) : n.op("Clip", p3, n.scalar(0f), n.scalar(6f));
        return n.op("Div", n.op("Mul", x, cl), n.scalar(6f));
    }
}
