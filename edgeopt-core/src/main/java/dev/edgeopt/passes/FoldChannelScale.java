package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;

/**
 * Folds constant per-channel Mul/Div into conv weights: after a Conv, ConvTranspose or Gemm (scale
 * its output channels), and a per-channel Mul or Add in front of a Conv that pads nothing (input
 * normalization such as (x - mean) / std folds into the first layer).
 */
public final class FoldChannelScale implements Pass {
    @Override public String name() { return "fold-channel-scale"; }

    @Override public String description() { return "fold per-channel constant Mul/Div (and Mul/Add before an unpadded Conv) into conv weights"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g || !(Rewrites.is(n, "Mul") || Rewrites.is(n, "Div"))) continue;
            String into = ChannelAffine.fold(g, n, st -> true);
            if (into != null) ctx.changed(n.name(), "folded " + n.opType() + " into the weights of " + into);
        }
        // Backwards, so a chain (x - mean) / std folds its last op first and then the one before.
        for (Node n : g.reversedNodes().toArray(new Node[0])) {
            if (n.graph() != g) continue;
            if (Rewrites.is(n, "Mul") || Rewrites.is(n, "Add") || Rewrites.is(n, "Sub") || Rewrites.is(n, "Div")) {
                String into = intoFollowingConv(g, n);
                if (into != null) ctx.changed(n.name(), "folded " + n.opType() + " into the weights of " + into);
            }
        }
        return g;
    }

    private static String intoFollowingConv(Graph g, Node op) {
        Value y = op.output(0);
        Node c = Rewrites.soleReader(g, y);
        if (!Rewrites.is(c, "Conv") || c.input(0) != y || c.input(1) == y || c.input(2) == y) return null;
        Tensor w = Channels.weight(c.input(1), 3);
        if (w == null) return null;
        int channels = w.dim(1) * (int) c.attrInt("group", 1);
        for (int xi = 0; xi < 2; xi++) {
            Value x = op.input(xi);
            if (x == null || x.isConstant() || x.shape() == null || x.shape().rank() != w.rank()) continue;
            // The op must not broadcast x up (its output shape is x's).
            if (y.shape() == null || !y.shape().equals(x.shape())) continue;
            double[][] st = ChannelAffine.of(op, x, w.rank(), 1, channels);
            if (st == null) continue;
            Tensor[] wb = Channels.affineIntoFollowingConv(c, st[0], st[1]);
            if (wb == null) return null;
            String name = c.name();
            Value wv = Rewrites.constant(g, c.input(1).name() + "_f", wb[0]);
            Value bv = Rewrites.constant(g, name + "_bias_f", wb[1]);
            Rewrites.replace(g, List.of(op, c), c.output(0), "Conv", "", name, List.of(x, wv, bv), Rewrites.attrs(c));
            return name;
        }
        return null;
    }
}
