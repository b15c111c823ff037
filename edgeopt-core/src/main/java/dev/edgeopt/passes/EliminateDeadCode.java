package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Set;

/**
 * Removes nodes no graph output depends on, then initializers nothing reads. Walks backwards from
 * the outputs, so a dead chain goes in one pass.
 */
public final class EliminateDeadCode implements Pass {
    @Override public String name() { return "eliminate-dead-code"; }

    @Override public String description() { return "remove nodes no output depends on and unused initializers"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        Set<Value> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(g.outputs());
        Set<Node> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Iterator<Node> it = g.reversedNodes().iterator(); it.hasNext(); ) {
            Node n = it.next();
            boolean needed = false;
            for (Value v : n.outputs()) needed |= live.contains(v);
            if (!needed) continue;
            keep.add(n);
            for (Value v : n.inputs()) if (v != null) live.add(v);
        }
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (!keep.contains(n)) {
                g.removeNode(n);
                ctx.changed(n.name(), "removed dead " + n.opType());
            }
        }
        int before = g.initializers().size();
        g.removeUnusedValues();
        int dropped = before - g.initializers().size();
        if (dropped > 0) ctx.changed("removed " + dropped + " unused initializer(s)");
        return g;
    }
}
