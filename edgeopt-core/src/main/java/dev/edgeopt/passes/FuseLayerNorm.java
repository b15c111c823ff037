package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Recognizes LayerNormalization as exporters write it (PyTorch before its opset-17 export, Paddle):
 * {@code d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(Pow(d, 2)) + eps)}, optionally followed by
 * {@code * gamma + beta} (constants over the normalized axes), with ReduceMean over the trailing
 * axes and keepdims. {@code d * d} for the square is accepted too.
 */
public final class FuseLayerNorm implements Pass {
    @Override public String name() { return "fuse-layernorm"; }

    @Override public String description() { return "recognize LayerNormalization written as ReduceMean/Sub/Pow/Add/Sqrt/Div"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        // LayerNormalization exists from opset 17; below that the pattern stays as exported.
        if (g.opset() < 17) return g;
        for (Node div : g.nodes().toArray(new Node[0])) {
            if (div.graph() == g && Rewrites.is(div, "Div")) tryFuse(g, div, ctx);
        }
        return g;
    }

    private static void tryFuse(Graph g, Node div, PassContext ctx) {
        Value d = div.input(0);
        Node sub = Rewrites.producer(d, "Sub");
        Node sqrt = Rewrites.producer(div.input(1), "Sqrt");
        if (sub == null || sqrt == null || !Rewrites.onlyReadBy(g, sqrt.output(0), div)) return;
        Value x = sub.input(0);
        Node mean1 = Rewrites.producer(sub.input(1), "ReduceMean");
        if (mean1 == null || mean1.input(0) != x || !Rewrites.onlyReadBy(g, mean1.output(0), sub)) return;
        Node addEps = Rewrites.producer(sqrt.input(0), "Add");
        if (addEps == null || addEps.inputCount() != 2 || !Rewrites.onlyReadBy(g, addEps.output(0), sqrt)) return;
        int vi = Rewrites.producer(addEps.input(0), "ReduceMean") != null ? 0 : 1;
        Node mean2 = Rewrites.producer(addEps.input(vi), "ReduceMean");
        float eps = Rewrites.scalar(addEps.input(1 - vi));
        if (mean2 == null || Float.isNaN(eps) || !Rewrites.onlyReadBy(g, mean2.output(0), addEps)) return;
        Node sq = mean2.input(0).producer();
        if (sq == null || !Rewrites.onlyReadBy(g, sq.output(0), mean2)) return;
        boolean isSquare = (Rewrites.is(sq, "Pow") && sq.input(0) == d && FuseHardSwish.near(Rewrites.scalar(sq.input(1)), 2f))
                || (Rewrites.is(sq, "Mul") && sq.input(0) == d && sq.input(1) == d);
        if (!isSquare) return;
        // d is read by the square and the Div only.
        List<Node> dUses = g.uses(d);
        if (g.isGraphOutput(d) || dUses.size() != 2 || !dUses.contains(sq) || !dUses.contains(div)) return;
        int rank = x.shape() == null ? -1 : x.shape().rank();
        long[] axes1 = axes(g, mean1, rank), axes2 = axes(g, mean2, rank);
        if (axes1 == null || !Arrays.equals(axes1, axes2) || rank < 0) return;
        // The axes must be the trailing ones: LayerNormalization normalizes [axis, rank).
        int axis = rank - axes1.length;
        for (int i = 0; i < axes1.length; i++) if (axes1[i] != axis + i) return;
        long[] normShape = new long[axes1.length];
        for (int i = 0; i < normShape.length; i++) {
            if (!x.shape().dim(axis + i).isKnown()) return;
            normShape[i] = x.shape().dim(axis + i).value();
        }
        int count = 1;
        for (long s : normShape) count *= (int) s;
        List<Node> chain = new ArrayList<>(List.of(mean1, sub, sq, mean2, addEps, sqrt, div));
        Value result = div.output(0);
        Value gamma = null, beta = null;
        Node mul = Rewrites.soleReader(g, result);
        if (Rewrites.is(mul, "Mul") && mul.inputCount() == 2) {
            Value c = mul.input(0) == result ? mul.input(1) : mul.input(0);
            if (fits(c, normShape)) {
                gamma = c;
                chain.add(mul);
                result = mul.output(0);
                Node add = Rewrites.soleReader(g, result);
                if (Rewrites.is(add, "Add") && add.inputCount() == 2) {
                    Value b = add.input(0) == result ? add.input(1) : add.input(0);
                    if (fits(b, normShape)) {
                        beta = b;
                        chain.add(add);
                        result = add.output(0);
                    }
                }
            }
        }
        int[] ns = Arrays.stream(normShape).mapToInt(l -> (int) l).toArray();
        Value scale = gamma != null ? Rewrites.constant(g, gamma.name() + "_ln", reshaped(gamma.constant(), ns))
                : Rewrites.constant(g, div.name() + "_ln_scale", filled(ns, count, 1f));
        Value bias = beta != null ? Rewrites.constant(g, beta.name() + "_ln", reshaped(beta.constant(), ns))
                : Rewrites.constant(g, div.name() + "_ln_bias", filled(ns, count, 0f));
        String name = div.name();
        Rewrites.replace(g, chain, result, "LayerNormalization", "", name, List.of(x, scale, bias),
                Map.of("axis", Attribute.of((long) axis), "epsilon", Attribute.of(eps)));
        ctx.changed(name, "ReduceMean/Sub/Pow/Add/Sqrt/Div became LayerNormalization over axis " + axis);
    }

    /** The normalized reduce axes of a keepdims ReduceMean, sorted; null when not constant. */
    private static long[] axes(Graph g, Node mean, int rank) {
        if (mean.attrInt("keepdims", 1) != 1 || rank < 0) return null;
        long[] a;
        if (mean.hasInput(1)) {
            if (!mean.input(1).isConstant()) return null;
            a = mean.input(1).constant().toLongArray();
        } else {
            a = mean.attrInts("axes", null);
        }
        if (a == null || a.length == 0) return null;
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i] < 0 ? a[i] + rank : a[i];
        Arrays.sort(r);
        return r;
    }

    /** A float constant with exactly the normalized shape's elements (leading 1s allowed). */
    private static boolean fits(Value c, long[] normShape) {
        if (Rewrites.floats(c) == null) return false;
        int[] d = c.constant().dims();
        if (d.length < normShape.length) return false;
        int off = d.length - normShape.length;
        for (int i = 0; i < off; i++) if (d[i] != 1) return false;
        for (int i = 0; i < normShape.length; i++) if (d[off + i] != normShape[i]) return false;
        return true;
    }

    private static Tensor reshaped(Tensor t, int[] shape) { return Tensor.of(t.toFloatArray(), shape); }

    private static Tensor filled(int[] shape, int count, float v) {
        float[] f = new float[count];
        Arrays.fill(f, v);
        return Tensor.of(f, shape);
    }
}
