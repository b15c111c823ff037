package dev.edgeopt.passes;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Raises a graph's default-domain opset without changing what it computes: the one place edgeopt
 * moves a model to a newer opset (ONNX's version converter adapters, for the ops edgeopt reads).
 * Setting the opset number alone would silently reinterpret nodes, e.g. a Softmax with the
 * pre-13 default axis 1 on [N, C, H, W] normalizes over C*H*W together, from opset 13 over W only.
 *
 * <p>Rewrites, by the version that changed the op:
 * <ul>
 * <li>10: Slice's starts/ends/axes and TopK's k become inputs;</li>
 * <li>10 and 11: Upsample and Resize 10 become Resize 11 (asymmetric coordinates, nearest taking the floor, or the ceiling when shrinking);</li>
 * <li>11: Clip's min/max and Pad's pads/value become inputs; Scatter becomes ScatterElements;</li>
 * <li>12: Dropout's ratio becomes an input;</li>
 * <li>13: Squeeze/Unsqueeze axes, ReduceSum axes and Split's split become inputs; Softmax,
 *     LogSoftmax and Hardmax keep an explicit axis when only that axis has extent > 1, else become
 *     Flatten(axis) -> op(axis=1) -> Reshape back to the input's shape (ONNX's softmax_12_13 adapter).</li>
 * </ul>
 * Ops whose old form has no exact newer one here (BatchNormalization with spatial=0, an Upsample
 * mode other than nearest/linear) raise an {@link EdgeoptException} naming the node. Subgraphs are raised too.
 * New nodes' outputs start untyped, except values that keep an old value's name and type; run
 * shape inference afterwards.
 */
public final class OpsetUpgrade {
    private OpsetUpgrade() {}

    /**
     * Raises {@code g} in place to {@code target} when it is older; returns one line per rewritten
     * node (empty when the opset was already at least {@code target}).
     */
    public static List<String> raise(Graph g, int target) {
        List<String> changes = new ArrayList<>();
        raise(g, g.opset(), target, changes);
        if (g.opset() < target) g.setOpset(target);
        return changes;
    }

    private static void raise(Graph g, int from, int to, List<String> changes) {
        if (from >= to) return;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!n.domain().isEmpty()) continue;
            for (Attribute a : n.attributes().values()) {
                if (a.kind() == Attribute.Kind.GRAPH) raise((Graph) a.value(), from, to, changes);
                if (a.kind() == Attribute.Kind.GRAPHS) for (Object sg : (Object[]) a.value()) raise((Graph) sg, from, to, changes);
            }
            String what = upgrade(g, n, from, to);
            if (what != null) changes.add(n.name() + ": " + what);
        }
    }

    /** Crosses version {@code v} when going from {@code from} to {@code to}. */
    private static boolean crosses(int from, int to, int v) { return from < v && to >= v; }

    private static String upgrade(Graph g, Node n, int from, int to) {
        String op = n.opType();
        switch (op) {
            case "Softmax", "LogSoftmax", "Hardmax" -> {
                if (crosses(from, to, 13)) return softmax(g, n);
            }
            case "Squeeze", "Unsqueeze", "ReduceSum" -> {
                if (crosses(from, to, 13)) return attrToInput(g, n, "axes", 1);
            }
            case "Split" -> {
                if (crosses(from, to, 13)) return attrToInput(g, n, "split", 1);
            }
            case "Slice" -> {
                if (crosses(from, to, 10)) {
                    String a = attrToInput(g, n, "starts", 1);
                    attrToInput(g, n, "ends", 2);
                    attrToInput(g, n, "axes", 3);
                    return a == null ? null : "starts, ends and axes are inputs from opset 10";
                }
            }
            case "TopK" -> {
                if (crosses(from, to, 10) && n.hasAttr("k")) {
                    n.setInput(1, Rewrites.constant(g, n.name() + "_k", Tensor.vector(n.attrInt("k", 0))));
                    n.removeAttr("k");
                    return "k is an input from opset 10";
                }
            }
            case "Clip" -> {
                if (crosses(from, to, 11)) {
                    DType t = n.input(0).dtype();
                    if (n.hasAttr("min")) n.setInput(1, scalarOf(g, n, "min", n.attrFloat("min", 0f), t));
                    if (n.hasAttr("max")) n.setInput(2, scalarOf(g, n, "max", n.attrFloat("max", 0f), t));
                    n.removeAttr("min");
                    n.removeAttr("max");
                    return "min and max are inputs from opset 11";
                }
            }
            case "Pad" -> {
                if (crosses(from, to, 11)) {
                    n.setInput(1, Rewrites.constant(g, n.name() + "_pads", Tensor.vector(n.attrInts("pads", new long[0]))));
                    float value = n.attrFloat("value", 0f);
                    if (value != 0f) n.setInput(2, scalarOf(g, n, "value", value, n.input(0).dtype()));
                    n.removeAttr("pads");
                    n.removeAttr("value");
                    return "pads and value are inputs from opset 11";
                }
            }
            case "Dropout" -> {
                if (crosses(from, to, 12) && n.hasAttr("ratio")) {
                    n.setInput(1, scalarOf(g, n, "ratio", n.attrFloat("ratio", 0.5f), DType.FLOAT));
                    n.removeAttr("ratio");
                    return "ratio is an input from opset 12";
                }
            }
            case "Scatter" -> {
                if (crosses(from, to, 11)) {
                    // Same semantics; Scatter is deprecated from opset 11 and runtimes reject it there.
                    replaceNode(g, n, "ScatterElements", n.inputs(), n.attributes());
                    return "Scatter is ScatterElements from opset 11";
                }
            }
            case "Upsample", "Resize" -> {
                boolean upsample = op.equals("Upsample");
                if (upsample ? crosses(from, to, 10) : crosses(from, to, 11)) return resize(g, n, upsample, from);
            }
            case "BatchNormalization" -> {
                if (crosses(from, to, 9) && n.hasAttr("spatial")) {
                    if (n.attrInt("spatial", 1) == 0) throw fail(g, n, "BatchNormalization with spatial=0 has no form from opset 9");
                    n.removeAttr("spatial");
                    return "spatial=1 is the only mode from opset 9";
                }
            }
            default -> { }
        }
        return null;
    }

    private static EdgeoptException fail(Graph g, Node n, String why) {
        return new EdgeoptException("node " + n.name() + " (" + n.opType() + "): cannot raise the model from opset " + g.opset() + ": " + why);
    }

    private static Value scalarOf(Graph g, Node n, String base, float v, DType t) {
        Tensor s = Tensor.of(new float[] {v});
        return Rewrites.constant(g, n.name() + "_" + base, t == null || t == DType.FLOAT ? s : s.cast(t));
    }

    /** Moves attribute {@code attr} (int64 list) to input {@code index}; null when the node has no such attribute. */
    private static String attrToInput(Graph g, Node n, String attr, int index) {
        if (!n.hasAttr(attr)) return null;
        n.setInput(index, Rewrites.constant(g, n.name() + "_" + attr, Tensor.vector(n.attrInts(attr, new long[0]))));
        n.removeAttr(attr);
        return attr + " is an input from opset 13";
    }

    private static String softmax(Graph g, Node n) {
        Value x = n.input(0);
        Shape s = x.shape();
        long axis = n.attrInt("axis", 1);
        if (s != null) {
            int rank = s.rank();
            if (axis < -rank || axis >= Math.max(rank, 1)) throw fail(g, n, "axis " + axis + " is out of range for rank " + rank);
            if (axis < 0) axis += rank;
            boolean same = true;
            for (int i = (int) axis + 1; i < rank; i++) {
                Dim d = s.dim(i);
                if (!(d.isKnown() && d.value() == 1)) same = false;
            }
            if (same) {
                // Every axis after it has extent 1: the old coerced row is exactly the one axis.
                n.setAttr("axis", Attribute.of(axis));
                return "axis " + axis + " made explicit (the default is -1 from opset 13)";
            }
        }
        Value out = n.output(0);
        String base = n.name();
        Node flat = g.insertBefore(n, "Flatten", g.uniqueName(base + "_flatten"), List.of(x), List.of(g.uniqueName(base + "_2d")));
        flat.setAttr("axis", Attribute.of(axis));
        Node op = g.insertBefore(n, n.opType(), g.uniqueName(base + "_rw"), List.of(flat.output(0)), List.of(g.uniqueName(out.name() + "_2d")));
        for (var e : n.attributes().entrySet()) op.setAttr(e.getKey(), e.getValue());
        op.setAttr("axis", Attribute.of(1L));
        Value shape;
        if (s != null && s.isStatic()) {
            shape = Rewrites.constant(g, base + "_shape", Tensor.vector(s.toLongArray()));
        } else {
            shape = g.insertBefore(n, "Shape", g.uniqueName(base + "_shape"), List.of(x), List.of(g.uniqueName(base + "_shape"))).output(0);
        }
        Node back = g.insertBefore(n, "Reshape", g.uniqueName(base + "_reshape"), List.of(op.output(0), shape),
                List.of(g.uniqueName(out.name() + "_nd")));
        takeOver(g, n, out, back.output(0));
        op.setName(base);
        return "Flatten(axis=" + axis + ") -> " + n.opType() + "(axis=1) -> Reshape: the opset-13 op normalizes one axis only";
    }

    /**
     * Upsample (7: scales attribute, 9: scales input) and Resize 10 scale by {@code scales} with
     * output coordinate x mapping to input x / scale: Resize 11's {@code asymmetric}
     * transformation. Their nearest neighbour is the floor when enlarging and the ceiling when
     * shrinking (ORT; {@code ResizeSpec}'s "simple" mode), which Resize 11 spells as one
     * {@code nearest_mode} for all axes: {@code floor} when every scale is at least 1, {@code ceil}
     * when every scale is at most 1 (an axis with scale 1 reads whole coordinates either way).
     * Nearest with mixed or non-constant Resize 10 scales has no Resize 11 form and fails.
     */
    private static String resize(Graph g, Node n, boolean upsample, int from) {
        String mode = n.attrString("mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) throw fail(g, n, "mode '" + mode + "' has no Resize form");
        Value scales;
        if (upsample && from < 9) {
            float[] f = n.attrFloats("scales", null);
            if (f == null) throw fail(g, n, "attribute 'scales' is required");
            scales = Rewrites.constant(g, n.name() + "_scales", Tensor.of(f.clone(), f.length));
        } else {
            scales = n.input(1);
        }
        String nearest = "floor"; // Upsample's scales are at least 1
        if (mode.equals("nearest") && !upsample) {
            Tensor t = scales.isConstant() ? scales.constant() : null;
            if (t == null) throw fail(g, n, "nearest with non-constant scales has no Resize 11 form (its rounding depends on them)");
            boolean up = false, down = false;
            for (int i = 0; i < t.size(); i++) {
                up |= t.getDouble(i) > 1;
                down |= t.getDouble(i) < 1;
            }
            if (up && down) throw fail(g, n, "nearest with scales both above and below 1 has no Resize 11 form");
            if (down) nearest = "ceil";
        }
        java.util.Map<String, Attribute> attrs = new java.util.LinkedHashMap<>();
        attrs.put("mode", Attribute.of(mode));
        attrs.put("coordinate_transformation_mode", Attribute.of("asymmetric"));
        if (mode.equals("nearest")) attrs.put("nearest_mode", Attribute.of(nearest));
        java.util.List<Value> ins = new ArrayList<>(java.util.Arrays.asList(n.input(0), null, scales));
        replaceNode(g, n, "Resize", ins, attrs);
        return (upsample ? "Upsample" : "Resize") + " written as Resize (asymmetric" + (mode.equals("nearest") ? ", nearest_mode " + nearest : "") + ")";
    }

    /** A node of op {@code op} with these inputs and attributes takes {@code n}'s place and name; one output. */
    private static void replaceNode(Graph g, Node n, String op, List<Value> ins, java.util.Map<String, Attribute> attrs) {
        Node r = g.insertBefore(n, op, g.uniqueName(n.name() + "_" + op), ins, List.of(g.uniqueName(n.output(0).name() + "_" + op)));
        for (var e : attrs.entrySet()) r.setAttr(e.getKey(), e.getValue());
        String name = n.name();
        takeOver(g, n, n.output(0), r.output(0));
        r.setName(name);
    }

    /** {@code last} replaces {@code n}'s output {@code out}, keeping its name and type; {@code n} is removed. */
    private static void takeOver(Graph g, Node n, Value out, Value last) {
        String name = out.name();
        last.setType(out.type());
        g.replaceAllUses(out, last);
        g.removeNode(n);
        g.rename(out, g.uniqueName(name + "_old"));
        g.removeUnusedValues();
        g.rename(last, name);
    }
}
