package dev.edgeopt.quant;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Cross-layer equalization (Nagel et al., "Data-Free Quantization Through Weight Equalization and
 * Bias Correction", 2019). For two convolutions in a row, {@code A -> [Relu] -> B}, output channel
 * {@code i} of A may be divided by any {@code s_i > 0} if input channel {@code i} of B is
 * multiplied by it: Relu is positively homogeneous ({@code relu(x / s) = relu(x) / s}) and zero
 * padding stays zero, so the float function is unchanged. Choosing
 * {@code s_i = sqrt(r1_i / r2_i)}, with {@code r1_i} the range of A's output channel {@code i} and
 * {@code r2_i} that of B's input channel {@code i}, gives both the range {@code sqrt(r1_i r2_i)}:
 * channels of one tensor then have similar ranges, which is what one scale per tensor needs
 * (depthwise convolutions trained with BN are the classic offenders).
 *
 * <p>Runs on a graph whose BatchNormalization is already folded ({@link PostTrainingQuantizer#prepare}).
 * Pairs are equalized repeatedly, since equalizing B against C changes B's ranges again (a
 * depthwise B links both pairs channel by channel); sweeps converge geometrically. Relu6/Clip is not homogeneous, so a Clip between two convolutions ends a pair.
 */
public final class CrossLayerEqualization {
    private CrossLayerEqualization() {}

    static final int SWEEPS = 100;

    /** A pair A -> [Relu] -> B, both Conv with constant float weights used nowhere else. */
    record Pair(Node a, Node b) {}

    /** Equalizes every pair in place; returns the pairs found. */
    public static List<Pair> apply(Graph g) {
        List<Pair> pairs = pairs(g);
        for (int sweep = 0; sweep < SWEEPS; sweep++) {
            double change = 0;
            for (Pair p : pairs) change = Math.max(change, equalize(g, p));
            // Scales within 1e-4 of 1: ranges already balanced to float noise.
            if (change < 1e-4) break;
        }
        return pairs;
    }

    static List<Pair> pairs(Graph g) {
        List<Pair> r = new ArrayList<>();
        for (Node a : g.nodes()) {
            if (!isConv(g, a)) continue;
            Value out = a.output(0);
            if (g.isGraphOutput(out) || g.uses(out).size() != 1) continue;
            Value feed = out;
            Node next = g.uses(out).get(0);
            if (next.opType().equals("Relu")) {
                feed = next.output(0);
                if (g.isGraphOutput(feed) || g.uses(feed).size() != 1) continue;
                next = g.uses(feed).get(0);
            }
            if (!isConv(g, next) || next.input(0) != feed) continue;
            int c = a.input(1).constant().dim(0);
            if (a.hasInput(2) && a.input(2).constant().size() != c) continue;
            int group = (int) next.attrInt("group", 1);
            Tensor wb = next.input(1).constant();
            // B reads A's channels either all at once (group 1) or one each (depthwise).
            boolean ok = group == 1 ? wb.dim(1) == c : group == c && wb.dim(0) == c && wb.dim(1) == 1;
            if (ok) r.add(new Pair(a, next));
        }
        return r;
    }

    private static boolean isConv(Graph g, Node n) {
        if (!n.opType().equals("Conv") || !n.input(1).isConstant() || n.input(1).dtype() != DType.FLOAT) return false;
        if (g.uses(n.input(1)).size() != 1) return false;
        if (n.hasInput(2) && (!n.input(2).isConstant() || g.uses(n.input(2)).size() != 1)) return false;
        return n.input(1).constant().rank() >= 3;
    }

    /** One equalization of a pair; returns max |s_i - 1|. */
    static double equalize(Graph g, Pair p) {
        Tensor wa = p.a().input(1).constant(), wb = p.b().input(1).constant();
        int c = wa.dim(0);
        float[] a = wa.toFloatArray(), b = wb.toFloatArray();
        int innerA = a.length / c;
        boolean depthwise = p.b().attrInt("group", 1) != 1;
        int outB = wb.dim(0), inB = wb.dim(1), k = b.length / (outB * inB);
        double[] r1 = new double[c], r2 = new double[c];
        for (int i = 0; i < a.length; i++) r1[i / innerA] = Math.max(r1[i / innerA], Math.abs(a[i]));
        for (int i = 0; i < b.length; i++) {
            int ch = depthwise ? i / (inB * k) : (i / k) % inB;
            r2[ch] = Math.max(r2[ch], Math.abs(b[i]));
        }
        float[] s = new float[c];
        double change = 0;
        for (int i = 0; i < c; i++) {
            // A dead channel on either side carries nothing: leave it.
            s[i] = r1[i] > 0 && r2[i] > 0 ? (float) Math.sqrt(r1[i] / r2[i]) : 1f;
            change = Math.max(change, Math.abs(s[i] - 1));
        }
        for (int i = 0; i < a.length; i++) a[i] /= s[i / innerA];
        for (int i = 0; i < b.length; i++) b[i] *= s[depthwise ? i / (inB * k) : (i / k) % inB];
        g.setConstant(p.a().input(1), Tensor.of(a, wa.shape()));
        g.setConstant(p.b().input(1), Tensor.of(b, wb.shape()));
        if (p.a().hasInput(2)) {
            Tensor bt = p.a().input(2).constant();
            float[] bias = bt.toFloatArray();
            for (int i = 0; i < bias.length; i++) bias[i] /= s[i];
            g.setConstant(p.a().input(2), Tensor.of(bias, bt.shape()));
        }
        return change;
    }
}
