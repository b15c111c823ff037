package dev.edgeopt.passes;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ops.OpRegistry;
import java.util.List;
import java.util.Map;

/**
 * Conv, Gemm or MatMul followed by an activation becomes one {@code FusedConv} / {@code FusedGemm}
 * / {@code FusedMatMul} node (domain {@value FusedOps#DOMAIN}) whose kernel applies the activation in its epilogue, while the
 * output tile is still in cache. The activation is named in the {@code activation} attribute with
 * its parameters in {@code activation_params}, ONNX Runtime's FusedConv convention.
 * {@link LowerToStandardOnnx} writes these back as the standard pair for export.
 */
public final class FuseActivation implements Pass {
    private static final String DOMAIN = FusedOps.DOMAIN;

    private final boolean requireEngine;

    /** Fuses only where the Java engine has kernels for the base and fused ops. */
    public FuseActivation() { this(true); }

    /**
     * @param requireEngine false to fuse whatever the op registry can type (for graphs headed for
     *     export only, and for tests that check the rewrite itself)
     */
    public FuseActivation(boolean requireEngine) { this.requireEngine = requireEngine; }

    @Override public String name() { return "fuse-activation"; }

    @Override public String description() { return "fuse Conv/Gemm/MatMul + Relu/Clip/LeakyRelu/HardSwish/HardSigmoid/Sigmoid/Tanh into one node"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node act : g.nodes().toArray(new Node[0])) {
            if (act.graph() != g || !act.domain().isEmpty() || act.inputCount() == 0 || act.input(0) == null) continue;
            Activation a = Activation.ofOp(act.opType());
            if (a == null) continue;
            Value x = act.input(0);
            Node p = x.producer();
            if (p == null || !p.domain().isEmpty() || !Rewrites.onlyReadBy(g, x, act)) continue;
            String fused = FusedOps.fusedOp(p.opType());
            // The engine must know the fused op, or the graph would stop running.
            if (fused == null || OpRegistry.standard().find(DOMAIN, fused) == null) continue;
            if (requireEngine && (KernelRegistry.standard().find(DOMAIN, fused) == null
                    || KernelRegistry.standard().find("", p.opType()) == null
                    || OpRegistry.standard().find("", p.opType()) == null)) continue;
            float[] params = params(g, act, a);
            if (params == null) continue;
            Map<String, Attribute> attrs = Rewrites.attrs(p);
            attrs.put("activation", Attribute.of(a.opName()));
            if (params.length > 0) attrs.put("activation_params", Attribute.of(params));
            String name = p.name();
            Rewrites.replace(g, List.of(p, act), act.output(0), fused, DOMAIN, name, p.inputs(), attrs);
            ctx.changed(name, "fused " + act.opType() + " " + act.name() + " into " + fused);
        }
        return g;
    }

    /** The activation's parameters in {@link Activation}'s order, or null when they are not constant. */
    static float[] params(Graph g, Node act, Activation a) {
        return switch (a) {
            case LEAKY_RELU -> new float[] {act.attrFloat("alpha", 0.01f)};
            case HARD_SIGMOID -> new float[] {act.attrFloat("alpha", 0.2f), act.attrFloat("beta", 0.5f)};
            case CLIP -> clipBounds(g, act);
            default -> act.inputCount() == 1 ? new float[0] : null;
        };
    }

    /** Clip's [min, max] from attributes (opset < 11) or constant inputs; null when not constant. */
    static float[] clipBounds(Graph g, Node clip) {
        if (g.opset() < 11) {
            return new float[] {clip.attrFloat("min", Float.NEGATIVE_INFINITY), clip.attrFloat("max", Float.POSITIVE_INFINITY)};
        }
        float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
        if (clip.hasInput(1)) {
            lo = Rewrites.scalar(clip.input(1));
            if (Float.isNaN(lo)) return null;
        }
        if (clip.hasInput(2)) {
            hi = Rewrites.scalar(clip.input(2));
            if (Float.isNaN(hi)) return null;
        }
        return new float[] {lo, hi};
    }
}
