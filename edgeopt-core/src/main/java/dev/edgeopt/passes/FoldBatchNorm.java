package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Folds inference BatchNormalization (a per-channel y = s*x + t) into the weights of the Conv,
 * ConvTranspose, Gemm or 2-D MatMul that produces its input, or else into the Conv that reads its
 * output when that Conv pads nothing (padding would add zeros of the normalized domain, which the
 * folded bias cannot reproduce at the borders).
 */
public final class FoldBatchNorm implements Pass {
    @Override public String name() { return "fold-batchnorm"; }

    @Override public String description() { return "fold BatchNormalization into the preceding Conv/ConvTranspose/Gemm/MatMul or following unpadded Conv"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node bn : g.nodes().toArray(new Node[0])) {
            if (bn.graph() != g || !Rewrites.is(bn, "BatchNormalization")) continue;
            double[][] st = Channels.batchNorm(g, bn);
            if (st == null) continue;
            String into = foldIntoProducer(g, bn, st[0], st[1]);
            if (into == null) into = foldIntoConsumer(g, bn, st[0], st[1]);
            if (into != null) ctx.changed(bn.name(), "folded BatchNormalization into " + into);
        }
        return g;
    }

    /** Returns the name of the node folded into, or null. */
    private static String foldIntoProducer(Graph g, Node bn, double[] s, double[] t) {
        Value x = bn.input(0);
        Node p = x.producer();
        if (p == null || !p.domain().isEmpty() || !Rewrites.onlyReadBy(g, x, bn)) return null;
        Value y = bn.output(0);
        switch (p.opType()) {
            case "Conv", "ConvTranspose" -> {
                Tensor w = Channels.weight(p.input(1), 3);
                if (w == null) return null;
                boolean ct = p.opType().equals("ConvTranspose");
                int group = (int) p.attrInt("group", 1);
                int m = ct ? w.dim(1) * group : w.dim(0);
                if (m != s.length || (ct && w.dim(0) % group != 0)) return null;
                double[] b = Channels.bias(p.input(2), m);
                if (b == null) return null;
                for (int i = 0; i < m; i++) b[i] = b[i] * s[i] + t[i];
                Tensor w2 = ct ? Channels.scaleConvTransposeOut(w, s, group) : Channels.scaleConvOut(w, s);
                Value wv = Rewrites.constant(g, p.input(1).name() + "_bn", w2);
                Value bv = Rewrites.constant(g, p.name() + "_bias_bn", Channels.vector(b));
                String name = p.name();
                Rewrites.replace(g, List.of(p, bn), y, p.opType(), "", name, List.of(p.input(0), wv, bv), Rewrites.attrs(p));
                return name;
            }
            case "Gemm" -> {
                Tensor[] bc = Channels.affineIntoGemm(p, s, t);
                if (bc == null) return null;
                Map<String, Attribute> a = Rewrites.attrs(p);
                a.put("beta", Attribute.of(1f));
                String name = p.name();
                Value bv = Rewrites.constant(g, p.input(1).name() + "_bn", bc[0]);
                Value cv = Rewrites.constant(g, p.name() + "_bias_bn", bc[1]);
                Rewrites.replace(g, List.of(p, bn), y, "Gemm", "", name, List.of(p.input(0), bv, cv), a);
                return name;
            }
            case "MatMul" -> {
                // Only a 2-D MatMul has its channels on axis 1; it becomes a Gemm with the BN as bias.
                Value a = p.input(0);
                if (a.shape() == null || a.shape().rank() != 2) return null;
                Tensor b = p.input(1).isConstant() ? p.input(1).constant() : null;
                if (b == null || b.rank() != 2) return null;
                Tensor[] bc = Channels.affineIntoGemm(p.input(1), false, null, 1, s, t);
                if (bc == null) return null;
                String name = p.name();
                Value bv = Rewrites.constant(g, p.input(1).name() + "_bn", bc[0]);
                Value cv = Rewrites.constant(g, p.name() + "_bias_bn", bc[1]);
                Rewrites.replace(g, List.of(p, bn), y, "Gemm", "", name, List.of(a, bv, cv), Map.of());
                return name;
            }
            default -> { return null; }
        }
    }

    private static String foldIntoConsumer(Graph g, Node bn, double[] s, double[] t) {
        Value y = bn.output(0);
        Node c = Rewrites.soleReader(g, y);
        if (!Rewrites.is(c, "Conv") || c.input(0) != y || c.input(1) == y || c.input(2) == y) return null;
        Tensor[] wb = Channels.affineIntoFollowingConv(c, s, t);
        if (wb == null) return null;
        Value wv = Rewrites.constant(g, c.input(1).name() + "_bn", wb[0]);
        Value bv = Rewrites.constant(g, c.name() + "_bias_bn", wb[1]);
        String name = c.name();
        Rewrites.replace(g, List.of(bn, c), c.output(0), "Conv", "", name, List.of(bn.input(0), wv, bv), Rewrites.attrs(c));
        return name;
    }
}
