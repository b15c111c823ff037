package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ops.ShapeInference;
import java.util.ArrayList;
import java.util.List;

/** Runs passes in order on a copy of the input, verifying the graph after each one. */
public final class PassManager {
    /** Per-pass log line: nodes before and after, and the number of rewrites. */
    public record Step(String pass, int nodesBefore, int nodesAfter, long changes) {}

    /** The optimized graph with the log. */
    public record Result(Graph graph, List<Step> steps, PassContext context) {}

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
            ShapeInference.verify(g);
            steps.add(new Step(p.name(), before, g.nodes().size(), ctx.count(p.name())));
        }
        return new Result(g, steps, ctx);
    }
}
