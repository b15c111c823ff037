package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;

/**
 * Removes nodes that copy their input: Identity, Dropout at inference (its mask unused), Cast to
 * the dtype the input already has, Reshape to the shape the input already has, and Transpose by the
 * identity permutation. Exporters leave these behind (PyTorch's Identity for shared weights,
 * Paddle's dropout, casts around shape arithmetic).
 */
public final class RemoveNoOps implements Pass {
    @Override public String name() { return "remove-noops"; }

    @Override public String description() { return "remove Identity, inference Dropout, no-op Cast, Reshape and Transpose"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g || !n.domain().isEmpty() || n.inputCount() == 0 || n.input(0) == null) continue;
            String why = noOpReason(n);
            if (why != null && Rewrites.bypass(g, n, n.input(0))) ctx.changed(n.name(), "removed " + n.opType() + " (" + why + ")");
        }
        return g;
    }

    private static boolean hasUnknown(Shape s) {
        for (int i = 0; i < s.rank(); i++) if (s.dim(i).isUnknown()) return true;
        return false;
    }

    /** Why the node is a no-op, or null when it is not (or cannot be shown to be). */
    static String noOpReason(Node n) {
        Value in = n.input(0);
        Value out = n.output(0);
        switch (n.opType()) {
            case "Identity":
                return "identity";
            case "Dropout": {
                // Opset 12+ takes training_mode as input 2; a constant false (or absence) is inference.
                if (n.hasInput(2)) {
                    Value tm = n.input(2);
                    if (!tm.isConstant() || tm.constant().size() != 1 || tm.constant().getDouble(0) != 0) return null;
                }
                if (n.attrInt("is_test", 1) == 0 && n.graph().opset() < 7) return null;
                return "inference";
            }
            case "Cast": {
                if (in.dtype() == null || !n.hasAttr("to")) return null;
                return in.dtype().onnxCode() == n.attrInt("to", -1) ? "same dtype" : null;
            }
            case "Reshape": {
                Shape a = in.shape();
                if (a == null || hasUnknown(a)) return null;
                // A constant target with no 0 or -1 entries says exactly what the output shape is.
                Value target = n.input(1);
                if (target != null && target.isConstant() && a.isStatic()) {
                    long[] t = target.constant().toLongArray();
                    return java.util.Arrays.equals(t, a.toLongArray()) ? "same shape" : null;
                }
                Shape b = out.shape();
                return b != null && !hasUnknown(b) && a.equals(b) ? "same shape" : null;
            }
            case "Transpose": {
                long[] perm = n.attrInts("perm", null);
                if (perm == null) {
                    // The default perm reverses the axes: a no-op only for rank <= 1.
                    return in.shape() != null && in.shape().rank() <= 1 ? "rank <= 1" : null;
                }
                for (int i = 0; i < perm.length; i++) if (perm[i] != i) return null;
                return "identity permutation";
            }
            default:
                return null;
        }
    }
}
