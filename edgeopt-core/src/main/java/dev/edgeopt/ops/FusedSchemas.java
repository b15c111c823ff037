package dev.edgeopt.ops;

import java.util.List;

/**
 * Schemas of edgeopt-domain fused ops; see {@link OpRegistry#standard()}. {@code FusedConv} and
 * {@code FusedGemm} are Conv and Gemm with an activation applied to the output (attributes
 * {@code activation}, {@code activation_params}), so their types and MACs are exactly the base
 * op's: they delegate to its schema instead of repeating it.
 */
final class FusedSchemas {
    private FusedSchemas() {}

    static void register(OpRegistry r) {
        r.register(delegating("FusedConv", "Conv"));
        r.register(delegating("FusedGemm", "Gemm"));
    }

    private static OpSchema delegating(String name, String base) {
        return new OpSchema() {
            @Override public String name() { return name; }

            @Override public String domain() { return "edgeopt"; }

            @Override public List<dev.edgeopt.ir.TensorType> infer(InferContext ctx) { return base(ctx.node()).infer(ctx); }

            @Override public long macs(dev.edgeopt.ir.Node node, dev.edgeopt.ir.TensorType[] in, dev.edgeopt.ir.TensorType[] out) {
                return base(node).macs(node, in, out);
            }

            private OpSchema base(dev.edgeopt.ir.Node node) {
                OpSchema s = OpRegistry.standard().find("", base);
                if (s == null) throw new UnsupportedOpException(base, "node " + node.describe() + ": " + name + " needs the " + base + " schema, which is not registered");
                return s;
            }
        };
    }
}
