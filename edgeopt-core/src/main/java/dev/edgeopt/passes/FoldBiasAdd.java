package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;

/**
 * Folds a constant per-channel (or scalar) Add or Sub after a Conv, ConvTranspose or Gemm into
 * its bias. Exporters emit this when a framework keeps the bias as a separate op (Paddle's
 * elementwise_add after conv2d, PyTorch's Linear without bias followed by a parameter add).
 */
public final class FoldBiasAdd implements Pass {
    @Override public String name() { return "fold-bias-add"; }

    @Override public String description() { return "fold a constant bias Add/Sub into the preceding Conv/ConvTranspose/Gemm"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g || !(Rewrites.is(n, "Add") || Rewrites.is(n, "Sub"))) continue;
            String into = ChannelAffine.fold(g, n, st -> true);
            if (into != null) ctx.changed(n.name(), "folded " + n.opType() + " into the bias of " + into);
        }
        return g;
    }
}
