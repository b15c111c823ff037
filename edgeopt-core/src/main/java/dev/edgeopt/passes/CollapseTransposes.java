package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Transpose(Transpose(x, p), q) is Transpose(x, p[q]); when that is the identity both go. Layout
 * conversions (NCHW to NHWC and back) around exported subgraphs leave such pairs behind.
 */
public final class CollapseTransposes implements Pass {
    @Override public String name() { return "collapse-transposes"; }

    @Override public String description() { return "merge consecutive Transposes, dropping identity results"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node outer : g.nodes().toArray(new Node[0])) {
            if (outer.graph() != g || !Rewrites.is(outer, "Transpose")) continue;
            Node inner = Rewrites.producer(outer.input(0), "Transpose");
            if (inner == null || !Rewrites.onlyReadBy(g, inner.output(0), outer)) continue;
            long[] p = inner.attrInts("perm", null), q = outer.attrInts("perm", null);
            if (p == null || q == null || p.length != q.length) continue;
            long[] r = new long[q.length];
            boolean identity = true;
            for (int i = 0; i < q.length; i++) {
                r[i] = p[(int) q[i]];
                identity &= r[i] == i;
            }
            Value x = inner.input(0);
            String name = inner.name();
            if (identity) {
                if (g.isGraphOutput(outer.output(0)) && (x.producer() == null || g.isGraphOutput(x))) continue;
                g.replaceAllUses(inner.output(0), x);
                g.removeNode(inner);
                Rewrites.bypass(g, outer, x);
                ctx.changed(name, "Transpose pair cancelled");
            } else {
                Rewrites.replace(g, List.of(inner, outer), outer.output(0), "Transpose", "", name, List.of(x),
                        Map.of("perm", Attribute.of(r)));
                ctx.changed(name, "Transpose pair merged");
            }
        }
        return g;
    }
}
