package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognizes exact GELU as PyTorch exports it: {@code 0.5 * x * (1 + Erf(x / sqrt 2))}, with the
 * division also written as {@code * (1/sqrt 2)} and the 0.5 applied to x, to the bracket or to the
 * product.
 */
public final class FuseGelu implements Pass {
    private static final float SQRT2 = (float) Math.sqrt(2), INV_SQRT2 = (float) (1 / Math.sqrt(2));

    @Override public String name() { return "fuse-gelu"; }

    @Override public String description() { return "recognize GELU written with Erf"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node erf : g.nodes().toArray(new Node[0])) {
            if (erf.graph() == g && Rewrites.is(erf, "Erf")) tryFuse(g, erf, ctx);
        }
        return g;
    }

    private static void tryFuse(Graph g, Node erf, PassContext ctx) {
        List<Node> chain = new ArrayList<>();
        Node scale = erf.input(0).producer();
        if (scale == null || !Rewrites.onlyReadBy(g, scale.output(0), erf) || scale.inputCount() != 2) return;
        Value x;
        if (Rewrites.is(scale, "Div") && FuseHardSwish.near(Rewrites.scalar(scale.input(1)), SQRT2)) x = scale.input(0);
        else if (Rewrites.is(scale, "Mul") && FuseHardSwish.near(Rewrites.scalar(scale.input(1)), INV_SQRT2)) x = scale.input(0);
        else if (Rewrites.is(scale, "Mul") && FuseHardSwish.near(Rewrites.scalar(scale.input(0)), INV_SQRT2)) x = scale.input(1);
        else return;
        chain.add(scale);
        chain.add(erf);
        Node add = Rewrites.soleReader(g, erf.output(0));
        if (!Rewrites.is(add, "Add") || add.inputCount() != 2) return;
        if (!FuseHardSwish.near(Rewrites.scalar(add.input(add.input(0) == erf.output(0) ? 1 : 0)), 1f)) return;
        chain.add(add);
        // What remains is a product of x, the bracket and 0.5 in one of three groupings.
        Node m1 = Rewrites.soleReader(g, add.output(0));
        if (!Rewrites.is(m1, "Mul") || m1.inputCount() != 2) return;
        Value o1 = other(m1, add.output(0));
        Value result;
        if (o1 == x) {
            Node m2 = Rewrites.soleReader(g, m1.output(0));
            if (!Rewrites.is(m2, "Mul") || m2.inputCount() != 2 || !half(other(m2, m1.output(0)))) return;
            chain.add(m1);
            chain.add(m2);
            result = m2.output(0);
        } else if (half(o1)) {
            Node m2 = Rewrites.soleReader(g, m1.output(0));
            if (!Rewrites.is(m2, "Mul") || m2.inputCount() != 2 || other(m2, m1.output(0)) != x) return;
            chain.add(m1);
            chain.add(m2);
            result = m2.output(0);
        } else {
            Node hx = o1.producer();
            if (!Rewrites.is(hx, "Mul") || hx.inputCount() != 2 || !Rewrites.onlyReadBy(g, o1, m1)) return;
            if (!(hx.input(0) == x && half(hx.input(1))) && !(hx.input(1) == x && half(hx.input(0)))) return;
            chain.add(0, hx);
            chain.add(m1);
            result = m1.output(0);
        }
        if (x.isConstant()) return;
        String name = erf.name();
        Rewrites.replace(g, chain, result, "Gelu", "", name, List.of(x), Map.of());
        ctx.changed(name, "Div/Erf/Add/Mul/Mul became Gelu");
    }

    private static Value other(Node mul, Value v) { return mul.input(0) == v ? mul.input(1) : mul.input(0); }

    private static boolean half(Value v) { return FuseHardSwish.near(Rewrites.scalar(v), 0.5f); }
}
