package dev.edgeopt.passes;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.GraphVerifier;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.ops.UnsupportedOpException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs passes in order on a copy of the input, verifying the graph after each one. A pass that
 * leaves a malformed graph is a bug in that pass, so the error names the pass.
 */
public final class PassManager {
    /**
     * Per-pass log entry: nodes before and after, what was rewritten, and whether types were checked
     * too (they are when every op of the graph has a schema; structure is always checked).
     */
    public record Step(String pass, String description, int nodesBefore, int nodesAfter,
                       List<PassContext.Change> changes, boolean typesVerified) {
        public long changeCount() { return changes.size(); }
    }

    /** The optimized graph with the log. */
    public record Result(Graph graph, List<Step> steps, PassContext context) {
        public long totalChanges() { return context.changes().size(); }
    }

    private final List<Pass> passes;

    public PassManager(List<Pass> passes) { this.passes = List.copyOf(passes); }

    public List<Pass> passes() { return passes; }

    public Result run(Graph input) {
        Graph g = input.copy();
        PassContext ctx = new PassContext();
        List<Step> steps = new ArrayList<>();
        for (Pass p : passes) {
            int before = g.nodes().size();
            ctx.enter(p.name());
            g = p.run(g, ctx);
            boolean typed = verify(g, p.name());
            steps.add(new Step(p.name(), p.description(), before, g.nodes().size(), ctx.changes(p.name()), typed));
        }
        return new Result(g, steps, ctx);
    }

    /**
     * Structure always; types when every op is known to the registry (a graph with an op we have
     * no schema for can still be cleaned up, but its types cannot be re-derived).
     *
     * @return whether types were verified
     */
    static boolean verify(Graph g, String pass) {
        try {
            GraphVerifier.verify(g);
            if (!allOpsKnown(g)) return false;
            try {
                ShapeInference.verify(g);
            } catch (UnsupportedOpException e) {
                return false;
            }
            return true;
        } catch (EdgeoptException e) {
            throw new EdgeoptException("after pass " + pass + ": " + e.getMessage(), e);
        }
    }

    static boolean allOpsKnown(Graph g) {
        OpRegistry r = OpRegistry.standard();
        for (Node n : g.nodes()) if (r.find(n.domain(), n.opType()) == null) return false;
        return true;
    }
}
