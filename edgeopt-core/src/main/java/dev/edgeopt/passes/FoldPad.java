package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Folds a constant-mode Pad of spatial dims into the padding of the Conv or pool that reads it,
 * saving a full copy of the activation. Legal when the pad value is what the consumer pads with:
 * 0 for Conv and for AveragePool counting pads (count_include_pad=1), -inf for MaxPool. Pools
 * with ceil_mode are skipped: their last window may run past the padding, where the two forms
 * differ.
 */
public final class FoldPad implements Pass {
    @Override public String name() { return "fold-pad"; }

    @Override public String description() { return "fold Pad into Conv or pool padding"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node pad : g.nodes().toArray(new Node[0])) {
            if (pad.graph() != g || !Rewrites.is(pad, "Pad")) continue;
            Node c = Rewrites.soleReader(g, pad.output(0));
            if (c == null || c.input(0) != pad.output(0)) continue;
            for (int i = 1; i < c.inputCount(); i++) if (c.input(i) == pad.output(0)) c = null;
            if (c == null) continue;
            long[] pads = padsOf(g, pad);
            float value = valueOf(g, pad);
            if (pads == null || Float.isNaN(value) || pads.length % 2 != 0) continue;
            int rank = pads.length / 2;
            if (rank < 3 || pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) continue;
            boolean ok = switch (c.opType()) {
                case "Conv" -> value == 0f;
                case "AveragePool" -> value == 0f && c.attrInt("count_include_pad", 0) == 1 && c.attrInt("ceil_mode", 0) == 0;
                case "MaxPool" -> value == Float.NEGATIVE_INFINITY && c.attrInt("ceil_mode", 0) == 0 && c.outputCount() == 1;
                default -> false;
            };
            if (!ok || !c.domain().isEmpty() || !c.attrString("auto_pad", "NOTSET").equals("NOTSET")) continue;
            int sp = rank - 2;
            long[] old = c.attrInts("pads", new long[2 * sp]);
            if (old.length != 2 * sp) continue;
            long[] merged = new long[2 * sp];
            for (int i = 0; i < sp; i++) {
                merged[i] = old[i] + pads[2 + i];
                merged[sp + i] = old[sp + i] + pads[rank + 2 + i];
            }
            Map<String, Attribute> a = Rewrites.attrs(c);
            a.put("pads", Attribute.of(merged));
            List<Value> ins = new java.util.ArrayList<>(c.inputs());
            ins.set(0, pad.input(0));
            String name = c.name();
            Rewrites.replace(g, List.of(pad, c), c.output(0), c.opType(), "", name, ins, a);
            ctx.changed(pad.name(), "folded Pad into the padding of " + name);
        }
        return g;
    }

    /** Non-negative pads over all axes, or null (reflect/edge mode, negative or non-constant pads, axes). */
    private static long[] padsOf(Graph g, Node pad) {
        if (!pad.attrString("mode", "constant").equals("constant")) return null;
        long[] p;
        if (g.opset() < 11) {
            p = pad.attrInts("pads", null);
        } else {
            if (pad.hasInput(3) || !pad.hasInput(1) || !pad.input(1).isConstant()) return null;
            p = pad.input(1).constant().toLongArray();
        }
        if (p == null) return null;
        for (long v : p) if (v < 0) return null;
        return p;
    }

    /** The pad value, or NaN when it is not a known constant. */
    private static float valueOf(Graph g, Node pad) {
        if (g.opset() < 11) return pad.attrFloat("value", 0f);
        if (!pad.hasInput(2)) return 0f;
        Value v = pad.input(2);
        if (!v.isConstant() || v.constant().size() != 1) return Float.NaN;
        Tensor t = v.constant();
        return (float) t.getDouble(0);
    }
}
