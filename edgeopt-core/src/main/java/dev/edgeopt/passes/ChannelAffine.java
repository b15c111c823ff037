package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Reads a constant elementwise Add/Sub/Mul/Div after a Conv, ConvTranspose or Gemm as a
 * per-output-channel affine y = s*x + t, and folds it into that producer's weights. Shared by
 * {@link FoldBiasAdd} (the shifts) and {@link FoldChannelScale} (the scales).
 */
final class ChannelAffine {
    private ChannelAffine() {}

    /**
     * The affine form of {@code op} applied to the producer's output, or null when the other
     * operand is not a per-channel constant. {@code channels} is the producer's output channels.
     */
    static double[][] of(Node op, Value x, int rank, int axis, int channels) {
        if (op.inputCount() != 2) return null;
        boolean xFirst = op.input(0) == x;
        Value c = xFirst ? op.input(1) : op.input(0);
        if (c == x) return null;
        float[] f = Channels.perChannel(c, rank, axis, channels);
        if (f == null) return null;
        // The constant must not widen the output: its rank is at most the producer's.
        double[] s = new double[channels], t = new double[channels];
        for (int i = 0; i < channels; i++) {
            switch (op.opType()) {
                case "Add" -> { s[i] = 1; t[i] = f[i]; }
                case "Sub" -> {
                    if (xFirst) { s[i] = 1; t[i] = -f[i]; } else { s[i] = -1; t[i] = f[i]; }
                }
                case "Mul" -> { s[i] = f[i]; t[i] = 0; }
                case "Div" -> {
                    if (!xFirst || f[i] == 0) return null;
                    s[i] = 1.0 / f[i];
                    t[i] = 0;
                }
                default -> { return null; }
            }
        }
        return new double[][] {s, t};
    }

    /** Output channels and output rank of a foldable producer, or null. */
    static int[] channelsAndRank(Node p) {
        switch (p.opType()) {
            case "Conv" -> {
                Tensor w = Channels.weight(p.input(1), 3);
                return w == null ? null : new int[] {w.dim(0), w.rank()};
            }
            case "ConvTranspose" -> {
                Tensor w = Channels.weight(p.input(1), 3);
                return w == null ? null : new int[] {w.dim(1) * (int) p.attrInt("group", 1), w.rank()};
            }
            case "Gemm" -> {
                Value b = p.input(1);
                if (b == null || !b.isConstant() || b.constant().rank() != 2) return null;
                return new int[] {p.attrInt("transB", 0) != 0 ? b.constant().dim(0) : b.constant().dim(1), 2};
            }
            default -> { return null; }
        }
    }

    /**
     * Folds the constant op reading the producer's output into the producer, if {@code accept}
     * agrees with its affine form. Returns the producer's name, or null when nothing changed.
     */
    static String fold(Graph g, Node op, java.util.function.Predicate<double[][]> accept) {
        for (int xi = 0; xi < 2 && xi < op.inputCount(); xi++) {
            Value x = op.input(xi);
            if (x == null) continue;
            Node p = x.producer();
            if (p == null || !p.domain().isEmpty() || !Rewrites.onlyReadBy(g, x, op)) continue;
            int[] cr = channelsAndRank(p);
            if (cr == null) continue;
            double[][] st = of(op, x, cr[1], 1, cr[0]);
            if (st == null || !accept.test(st)) continue;
            if (op.output(0).shape() != null && x.shape() != null && !op.output(0).shape().equals(x.shape())) continue;
            return foldInto(g, p, op, st[0], st[1]);
        }
        return null;
    }

    private static String foldInto(Graph g, Node p, Node op, double[] s, double[] t) {
        String name = p.name();
        Value y = op.output(0);
        if (p.opType().equals("Gemm")) {
            Tensor[] bc = Channels.affineIntoGemm(p, s, t);
            if (bc == null) return null;
            Map<String, Attribute> a = Rewrites.attrs(p);
            a.put("beta", Attribute.of(1f));
            Value bv = Rewrites.constant(g, p.input(1).name() + "_f", bc[0]);
            Value cv = Rewrites.constant(g, name + "_bias_f", bc[1]);
            Rewrites.replace(g, List.of(p, op), y, "Gemm", "", name, List.of(p.input(0), bv, cv), a);
            return name;
        }
        boolean ct = p.opType().equals("ConvTranspose");
        Tensor w = p.input(1).constant();
        int m = s.length;
        double[] b = Channels.bias(p.input(2), m);
        if (b == null) return null;
        for (int i = 0; i < m; i++) b[i] = b[i] * s[i] + t[i];
        boolean scales = false;
        for (double v : s) scales |= v != 1;
        Value wv = p.input(1);
        if (scales) {
            Tensor w2 = ct ? Channels.scaleConvTransposeOut(w, s, (int) p.attrInt("group", 1)) : Channels.scaleConvOut(w, s);
            wv = Rewrites.constant(g, p.input(1).name() + "_f", w2);
        }
        Value bv = Rewrites.constant(g, name + "_bias_f", Channels.vector(b));
        Rewrites.replace(g, List.of(p, op), y, p.opType(), "", name, List.of(p.input(0), wv, bv), Rewrites.attrs(p));
        return name;
    }
}
