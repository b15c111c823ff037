package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MobileNetV2's inverted-residual block, [1x1 Conv + clamp] -> 3x3 depthwise Conv + clamp -> 1x1
 * Conv [-> Add of the block's input], becomes one {@value FusedOps#DOMAIN}
 * {@link FusedOps#INVERTED_RESIDUAL} node, whose kernel computes the block in bands of output rows
 * so the expanded and depthwise tensors stay in cache instead of making a round trip through
 * memory. The clamps are Relu or Clip, fused or not (FusedConv from {@link FuseActivation}, or
 * plain Conv without one); the block without expansion (depthwise + projection) is matched too.
 * Every weight and bias must be constant. {@link LowerToStandardOnnx} writes the node back as the
 * Conv/Clip/Conv/Clip/Conv/Add chain for export.
 *
 * <p>Not in the default pipelines ({@link Pipelines}): measured inside the whole mobilenet_v2
 * (LinalgBench#mobilenetFusedVsUnfused, 1 thread, alternating runs, load 6-7), the network with its
 * blocks fused is no faster than with the FusedConv chains (9.91 vs 9.80 ms median thread CPU
 * with the stride-2 blocks fused, 8.39 vs 8.33 ms for the blocks' steps with every block fused).
 * Per block inside the network the stride-2 ones gain 3-16% (the unfused depthwise conv
 * deinterleaves the whole expanded tensor, the fused kernel expands straight into that layout)
 * and the stride-1 ones lose 0-7% (the expansion also computes the padding columns, a residual
 * costs an extra pass over the output). Run it by name ({@code optimize --passes}).
 */
public final class FuseInvertedResidual implements Pass {
    /** Which matched blocks to fuse, from the block's shape. */
    @FunctionalInterface
    public interface Rule {
        /**
         * @param expand whether the block has a 1x1 expansion
         * @param stride the depthwise conv's stride (1 or 2)
         * @param height the block input's height (-1 if not known)
         */
        boolean fuse(boolean expand, long stride, long height);
    }

    /**
     * Stride-2 blocks with an expansion: the blocks that measured faster fused inside the all-fused
     * network (the strided depthwise conv of the chain deinterleaves the whole expanded tensor; the
     * fused kernel expands straight into that layout), while stride-1 blocks were as fast or
     * slower (the expansion computes the padding columns too, a residual costs an extra pass).
     * Fusing only these does not make mobilenet_v2 faster, though (LinalgBench#mobilenetFusedVsUnfused,
     * README "Graph optimization"): a fused block that follows the FusedConv chains runs 0.1-0.2 ms
     * slower than the same block after another fused block, which takes the gain back. Kept for
     * measuring.
     */
    public static final Rule STRIDE2 = (expand, stride, height) -> expand && stride == 2;

    private final Rule rule;

    /** Fuses every block the pattern matches. */
    public FuseInvertedResidual() { this((e, s, h) -> true); }

    /** Fuses the matched blocks {@code rule} selects (for measuring selections). */
    public FuseInvertedResidual(Rule rule) { this.rule = rule; }

    @Override public String name() { return "fuse-inverted-residual"; }

    @Override public String description() {
        return "fuse [1x1 Conv+Relu6] -> 3x3 depthwise Conv+Relu6 -> 1x1 Conv [-> Add input] into one banded InvertedResidual node";
    }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node p : g.nodes().toArray(new Node[0])) {
            if (p.graph() != g || !Rewrites.is(p, "Conv") || pointwise(p) == null) continue;
            Value d = p.input(0);
            Node dw = d.producer();
            if (dw == null || !Rewrites.onlyReadBy(g, d, p) || !depthwise(dw)) continue;
            float[] dClamp = clamp(dw);
            if (dClamp == null) continue;
            Value e = dw.input(0);
            Node ex = e.producer();
            float[] eClamp = ex == null ? null : clamp(ex);
            boolean expand = ex != null && eClamp != null && pointwise(ex) != null && Rewrites.onlyReadBy(g, e, dw);
            Value x = expand ? ex.input(0) : e;
            Shape xs = x.shape();
            if (xs == null || xs.rank() != 4 || !xs.dim(1).isKnown()) continue;
            long[] we = expand ? pointwise(ex) : null, wp = pointwise(p);
            long mid = dw.input(1).constant().dim(0);
            if ((expand ? we[1] : mid) != xs.dim(1).value() || (expand && we[0] != mid) || wp[1] != mid) continue;
            long height = xs.dim(2).isKnown() ? xs.dim(2).value() : -1;
            if (!rule.fuse(expand, dw.attrInts("strides", new long[] {1, 1})[0], height)) continue;
            Value out = p.output(0);
            Node add = Rewrites.soleReader(g, out);
            boolean residual = Rewrites.is(add, "Add") && add.inputCount() == 2 && add.input(0) != add.input(1)
                    && (add.input(0) == x || add.input(1) == x) && out.shape() != null && out.shape().equals(xs)
                    && add.output(0).shape() != null && add.output(0).shape().equals(xs);
            List<Value> ins = new ArrayList<>(Arrays.asList(x, expand ? ex.input(1) : null, expand ? input(ex, 2) : null,
                    dw.input(1), input(dw, 2), p.input(1), input(p, 2)));
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            attrs.put("strides", Attribute.of(dw.attrInts("strides", new long[] {1, 1})));
            attrs.put("pads", Attribute.of(dw.attrInts("pads", new long[] {0, 0, 0, 0})));
            if (expand) putClamp(attrs, "expand", ex, eClamp);
            putClamp(attrs, "depthwise", dw, dClamp);
            if (residual) attrs.put("residual", Attribute.of(1L));
            List<Node> old = new ArrayList<>();
            if (expand) old.add(ex);
            old.add(dw);
            old.add(p);
            if (residual) old.add(add);
            String name = expand ? ex.name() : dw.name();
            Value result = residual ? add.output(0) : out;
            Rewrites.replace(g, old, result, FusedOps.INVERTED_RESIDUAL, FusedOps.DOMAIN, name, ins, attrs);
            ctx.changed(name, "fused " + (expand ? ex.name() + " + " : "") + dw.name() + " + " + p.name()
                    + (residual ? " + " + add.name() : "") + " into " + FusedOps.INVERTED_RESIDUAL);
        }
        return g;
    }

    private static Value input(Node n, int i) { return n.hasInput(i) ? n.input(i) : null; }

    /** Whether every listed attribute value equals {@code v} (absent counts as {@code dflt}). */
    private static boolean all(Node n, String key, long dflt, long v) {
        long[] a = n.attrInts(key, null);
        if (a == null) return dflt == v;
        for (long e : a) if (e != v) return false;
        return true;
    }

    private static boolean plainWindow(Node n) {
        String ap = n.attrString("auto_pad", "NOTSET");
        return (ap.equals("NOTSET") || ap.isEmpty()) && all(n, "dilations", 1, 1);
    }

    /** Weight shape [M, C] of a 1x1, stride-1, unpadded, ungrouped conv with constant weights and bias, else null. */
    private static long[] pointwise(Node n) {
        if (!isConv(n) || !plainWindow(n) || n.attrInt("group", 1) != 1 || !all(n, "strides", 1, 1) || !all(n, "pads", 0, 0)) return null;
        if (!constants(n)) return null;
        int[] w = n.input(1).constant().shape();
        return w.length == 4 && w[2] == 1 && w[3] == 1 ? new long[] {w[0], w[1]} : null;
    }

    /** A 3x3 depthwise conv (group = channels) with stride 1 or 2 on both axes, pads all 0 or all 1, constant weights and bias. */
    private static boolean depthwise(Node n) {
        if (!isConv(n) || !plainWindow(n) || !constants(n)) return false;
        int[] w = n.input(1).constant().shape();
        if (w.length != 4 || w[1] != 1 || w[2] != 3 || w[3] != 3 || n.attrInt("group", 1) != w[0]) return false;
        long[] s = n.attrInts("strides", new long[] {1, 1});
        if (s.length != 2 || s[0] != s[1] || s[0] < 1 || s[0] > 2) return false;
        return all(n, "pads", 0, 0) || all(n, "pads", 0, 1);
    }

    private static boolean isConv(Node n) {
        return Rewrites.is(n, "Conv") || (FusedOps.DOMAIN.equals(n.domain()) && n.opType().equals(FusedOps.FUSED_CONV));
    }

    private static boolean constants(Node n) {
        if (n.inputCount() < 2 || n.input(0) == null || n.input(1) == null || !n.input(1).isConstant()) return false;
        return !n.hasInput(2) || n.input(2).isConstant();
    }

    /** The clamp a conv applies: [] for none (plain Conv), [lo, hi] for Relu or Clip, null for anything else. */
    private static float[] clamp(Node n) {
        if (Rewrites.is(n, "Conv")) return new float[0];
        if (!isConv(n)) return null;
        String a = n.attrString(FusedOps.ACTIVATION, "");
        float[] p = n.attrFloats(FusedOps.ACTIVATION_PARAMS, new float[0]);
        return switch (a) {
            case "" -> new float[0];
            case "Relu" -> new float[] {0f, Float.POSITIVE_INFINITY};
            case "Clip" -> new float[] {p.length > 0 ? p[0] : Float.NEGATIVE_INFINITY, p.length > 1 ? p[1] : Float.POSITIVE_INFINITY};
            default -> null;
        };
    }

    private static void putClamp(Map<String, Attribute> attrs, String stage, Node n, float[] c) {
        if (c.length == 0) return;
        String a = n.attrString(FusedOps.ACTIVATION, "");
        attrs.put(stage + "_activation", Attribute.of(a));
        if (a.equals("Clip")) attrs.put(stage + "_activation_params", Attribute.of(c));
    }
}
