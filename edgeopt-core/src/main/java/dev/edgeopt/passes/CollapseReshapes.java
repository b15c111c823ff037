package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.List;

/**
 * Reshape(Reshape(x, a), b) is Reshape(x, b) when b is a constant that does not copy dims from the
 * intermediate (no 0 entries, unless allowzero): the element order never changes, so only the
 * last shape matters. Flatten, Squeeze and Unsqueeze between them are left to a later version.
 */
public final class CollapseReshapes implements Pass {
    @Override public String name() { return "collapse-reshapes"; }

    @Override public String description() { return "merge consecutive Reshapes"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node outer : g.nodes().toArray(new Node[0])) {
            if (outer.graph() != g || !Rewrites.is(outer, "Reshape") || outer.inputCount() < 2) continue;
            Node inner = Rewrites.producer(outer.input(0), "Reshape");
            if (inner == null || !Rewrites.onlyReadBy(g, inner.output(0), outer)) continue;
            Value shape = outer.input(1);
            if (!shape.isConstant()) continue;
            if (outer.attrInt("allowzero", 0) == 0) {
                boolean zero = false;
                for (long v : shape.constant().toLongArray()) zero |= v == 0;
                if (zero) continue;
            }
            String name = inner.name();
            Rewrites.replace(g, List.of(inner, outer), outer.output(0), "Reshape", "", name,
                    List.of(inner.input(0), shape), Rewrites.attrs(outer));
            ctx.changed(name, "Reshape pair merged");
        }
        return g;
    }
}
