package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognizes HardSigmoid and HardSwish written out by exporters:
 * <ul>
 *   <li>{@code Clip(x + 3, 0, 6) / 6} (or {@code * (1/6)}) is HardSigmoid(alpha=1/6, beta=0.5);</li>
 *   <li>{@code x * HardSigmoid(x; 1/6, 0.5)} is HardSwish (PyTorch, opsets 9-13);</li>
 *   <li>{@code x * Clip(x + 3, 0, 6) / 6} is HardSwish (PaddlePaddle's hard_swish).</li>
 * </ul>
 * One op instead of four, and one the activation fusion can put into a conv epilogue.
 */
public final class FuseHardSwish implements Pass {
    private static final float EPS = 1e-6f;

    @Override public String name() { return "fuse-hardswish"; }

    @Override public String description() { return "recognize HardSigmoid/HardSwish written as Add/Clip/Div/Mul"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g) continue;
            if (paddleHardSwish(g, n, ctx)) continue;
            hardSigmoid(g, n, ctx);
        }
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() == g) mulHardSigmoid(g, n, ctx);
        }
        return g;
    }

    /** {@code d = c / 6} or {@code c * (1/6)} with c = Clip(x+3, 0, 6): returns {c-node} or null. */
    private static Node sixthOf(Graph g, Node d, Value[] other) {
        if (Rewrites.is(d, "Div") && d.inputCount() == 2 && near(Rewrites.scalar(d.input(1)), 6f)) {
            other[0] = d.input(0);
            return d;
        }
        if (Rewrites.is(d, "Mul") && d.inputCount() == 2) {
            for (int i = 0; i < 2; i++) {
                if (near(Rewrites.scalar(d.input(1 - i)), 1f / 6f)) {
                    other[0] = d.input(i);
                    return d;
                }
            }
        }
        return null;
    }

    /** x when {@code v = Clip(Add(x, 3), 0, 6)} with each intermediate read once; else null. */
    private static Value relu6Plus3(Graph g, Value v, List<Node> chain) {
        Node clip = Rewrites.producer(v, "Clip");
        if (clip == null) return null;
        float[] b = FuseActivation.clipBounds(g, clip);
        if (b == null || b[0] != 0f || b[1] != 6f) return null;
        Node add = Rewrites.producer(clip.input(0), "Add");
        if (add == null || add.inputCount() != 2 || !Rewrites.onlyReadBy(g, add.output(0), clip)) return null;
        for (int i = 0; i < 2; i++) {
            if (near(Rewrites.scalar(add.input(1 - i)), 3f) && !add.input(i).isConstant()) {
                chain.add(add);
                chain.add(clip);
                return add.input(i);
            }
        }
        return null;
    }

    private static boolean hardSigmoid(Graph g, Node d, PassContext ctx) {
        Value[] other = new Value[1];
        if (sixthOf(g, d, other) == null) return false;
        Value c = other[0];
        List<Node> chain = new ArrayList<>();
        Value x = relu6Plus3(g, c, chain);
        if (x == null || !Rewrites.onlyReadBy(g, c, d)) return false;
        chain.add(d);
        Rewrites.replace(g, chain, d.output(0), "HardSigmoid", "", d.name(), List.of(x),
                Map.of("alpha", Attribute.of(1f / 6f), "beta", Attribute.of(0.5f)));
        ctx.changed(d.name(), "Add/Clip/" + d.opType() + " became HardSigmoid");
        return true;
    }

    /** {@code (x * Clip(x+3,0,6)) / 6}, in either operand order. */
    private static boolean paddleHardSwish(Graph g, Node d, PassContext ctx) {
        Value[] other = new Value[1];
        if (sixthOf(g, d, other) == null) return false;
        Node mul = Rewrites.producer(other[0], "Mul");
        if (mul == null || mul.inputCount() != 2 || !Rewrites.onlyReadBy(g, mul.output(0), d)) return false;
        for (int i = 0; i < 2; i++) {
            List<Node> chain = new ArrayList<>();
            Value x = relu6Plus3(g, mul.input(1 - i), chain);
            if (x == null || x != mul.input(i) || !Rewrites.onlyReadBy(g, mul.input(1 - i), mul)) continue;
            chain.add(mul);
            chain.add(d);
            Rewrites.replace(g, chain, d.output(0), "HardSwish", "", d.name(), List.of(x), Map.of());
            ctx.changed(d.name(), "Add/Clip/Mul/" + d.opType() + " became HardSwish");
            return true;
        }
        return false;
    }

    /** {@code x * HardSigmoid(x; 1/6, 0.5)}. */
    private static boolean mulHardSigmoid(Graph g, Node mul, PassContext ctx) {
        if (!Rewrites.is(mul, "Mul") || mul.inputCount() != 2) return false;
        for (int i = 0; i < 2; i++) {
            Node hs = Rewrites.producer(mul.input(1 - i), "HardSigmoid");
            if (hs == null || hs.input(0) != mul.input(i) || !Rewrites.onlyReadBy(g, hs.output(0), mul)) continue;
            if (!near(hs.attrFloat("alpha", 0.2f), 1f / 6f) || !near(hs.attrFloat("beta", 0.5f), 0.5f)) continue;
            Rewrites.replace(g, List.of(hs, mul), mul.output(0), "HardSwish", "", mul.name(), List.of(mul.input(i)), Map.of());
            ctx.changed(mul.name(), "x * HardSigmoid(x) became HardSwish");
            return true;
        }
        return false;
    }

    static boolean near(float a, float b) { return !Float.isNaN(a) && Math.abs(a - b) <= EPS * Math.max(1f, Math.abs(b)); }
}
