package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pre-export pass: rewrites what only edgeopt runs into standard ONNX at the graph's opset, so
 * ONNX Runtime and other runtimes load the optimized model. Fused Conv/Gemm become the base op plus
 * the activation; ops newer than the model's opset (HardSwish 14, LayerNormalization 17, Gelu 20)
 * become their decompositions; edgeopt's integer table ops (QLinearLookup), and int8 QLinearSoftmax
 * nodes that ORT's kernel would wrap, become DQ -> op -> Q. Folding and elimination results stay: they are standard already.
 */
public final class LowerToStandardOnnx implements Pass {
    @Override public String name() { return "lower-to-standard-onnx"; }

    @Override public String description() { return "write fused and newer ops back as standard ONNX for the graph's opset"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        // Fused nodes first: unfusing may produce a HardSwish the opset lacks, handled below.
        int unfused = FusedOps.unfuse(g);
        if (unfused > 0) ctx.changed(unfused + " fused node(s) written as base op + activation");
        // Before the loop: a raised table op may be a HardSwish the opset lacks.
        int raised = LowerQdq.raiseLookups(g);
        if (raised > 0) ctx.changed(raised + " QLinearLookup node(s) written as DequantizeLinear -> op -> QuantizeLinear");
        int softmax = LowerQdq.raiseWrappingSoftmax(g);
        if (softmax > 0) ctx.changed(softmax + " int8 QLinearSoftmax node(s) written as DequantizeLinear -> Softmax -> QuantizeLinear (ORT's int8 kernel wraps a probability of 1)");
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g) continue;
            if (Rewrites.is(n, "HardSwish") && g.opset() < 14) {
                Emit e = new Emit(g, n);
                e.finish(hardSwish(e, n.input(0)));
                ctx.changed(n.name(), "HardSwish written as HardSigmoid * x for opset " + g.opset());
            } else if (Rewrites.is(n, "LayerNormalization") && g.opset() < 17 && n.outputCount() == 1
                    && n.input(0).shape() != null) {
                layerNorm(g, n);
                ctx.changed(n.name(), "LayerNormalization decomposed for opset " + g.opset());
            } else if (Rewrites.is(n, "Gelu") && g.opset() < 20 && n.attrString("approximate", "none").equals("none")) {
                Emit e = new Emit(g, n);
                Value x = n.input(0);
                Value erf = e.op("Erf", e.op("Div", x, e.scalar("sqrt2", (float) Math.sqrt(2))));
                Value br = e.op("Add", erf, e.scalar("one", 1f));
                e.finish(e.op("Mul", e.op("Mul", x, br), e.scalar("half", 0.5f)));
                ctx.changed(n.name(), "Gelu written with Erf for opset " + g.opset());
            }
        }
        return g;
    }

    /** Inserts nodes before an anchor and finally lets the last value take over the anchor's output. */
    private static final class Emit {
        final Graph g;
        final Node anchor;

        Emit(Graph g, Node anchor) {
            this.g = g;
            this.anchor = anchor;
        }

        Value op(String type, Value... ins) { return op(type, Map.of(), ins); }

        Value op(String type, Map<String, Attribute> attrs, Value... ins) {
            Node n = g.insertBefore(anchor, type, g.uniqueName(anchor.name() + "_" + type), java.util.Arrays.asList(ins),
                    List.of(g.uniqueName(anchor.name() + "_" + type.toLowerCase(java.util.Locale.ROOT))));
            for (var a : attrs.entrySet()) n.setAttr(a.getKey(), a.getValue());
            return n.output(0);
        }

        Value scalar(String base, float v) { return Rewrites.constant(g, anchor.name() + "_" + base, Tensor.scalar(v)); }

        void finish(Value last) {
            Value out = anchor.output(0);
            String name = out.name();
            last.setType(out.type());
            g.replaceAllUses(out, last);
            g.removeNode(anchor);
            g.removeUnusedValues();
            g.rename(last, name);
        }
    }

    private static Value hardSwish(Emit e, Value x) {
        Value hs = e.op("HardSigmoid", Map.of("alpha", Attribute.of(1f / 6f), "beta", Attribute.of(0.5f)), x);
        return e.op("Mul", x, hs);
    }

    private static void layerNorm(Graph g, Node n) {
        Emit e = new Emit(g, n);
        Value x = n.input(0);
        int rank = x.shape().rank();
        long axis = n.attrInt("axis", -1);
        if (axis < 0) axis += rank;
        List<Long> axes = new ArrayList<>();
        for (long a = axis; a < rank; a++) axes.add(a);
        Map<String, Attribute> red = Map.of("axes", Attribute.ofInts(axes), "keepdims", Attribute.of(1L));
        Value d = e.op("Sub", x, e.op("ReduceMean", red, x));
        Value var = e.op("ReduceMean", red, e.op("Mul", d, d));
        Value sd = e.op("Sqrt", e.op("Add", var, e.scalar("eps", n.attrFloat("epsilon", 1e-5f))));
        Value y = e.op("Mul", e.op("Div", d, sd), n.input(1));
        e.finish(n.hasInput(2) ? e.op("Add", y, n.input(2)) : y);
    }
}
