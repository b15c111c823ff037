package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Names of edgeopt's fused ops and the way back to standard ONNX. Fusion passes produce
 * {@code FusedConv}/{@code FusedGemm}/{@code FusedMatMul} in domain {@value #DOMAIN} (schemas in
 * {@code FusedSchemas}); before export, {@link #unfuse} rewrites each as its base op followed by
 * the standalone activation, which computes exactly the same values.
 */
public final class FusedOps {
    private FusedOps() {}

    public static final String DOMAIN = "dev.edgeopt";
    public static final String FUSED_CONV = "FusedConv", FUSED_GEMM = "FusedGemm", FUSED_MATMUL = "FusedMatMul";
    public static final String ACTIVATION = "activation", ACTIVATION_PARAMS = "activation_params";
    /**
     * MobileNetV2's inverted-residual block as one node: inputs X, expansion weight and bias (1x1
     * Conv, empty names when the block has no expansion), depthwise weight and bias (3x3, group =
     * channels), projection weight and bias (1x1); attributes {@code strides} and {@code pads} of
     * the depthwise conv, {@code expand_activation} and {@code depthwise_activation} ("", "Relu"
     * or "Clip") with their {@code *_activation_params}, and {@code residual} (1: the output adds X).
     */
    public static final String INVERTED_RESIDUAL = "InvertedResidual";

    /** The fused op's base op name ("Conv", "Gemm", "MatMul"), or null if {@code n} is not fused. */
    public static String baseOp(Node n) {
        if (!DOMAIN.equals(n.domain())) return null;
        return switch (n.opType()) {
            case FUSED_CONV -> "Conv";
            case FUSED_GEMM -> "Gemm";
            case FUSED_MATMUL -> "MatMul";
            default -> null;
        };
    }

    /** The fused op name for a base op ("Conv" gives "FusedConv"), or null when there is none. */
    public static String fusedOp(String base) {
        return switch (base) {
            case "Conv" -> FUSED_CONV;
            case "Gemm" -> FUSED_GEMM;
            case "MatMul" -> FUSED_MATMUL;
            default -> null;
        };
    }

    /**
     * Rewrites every fused node of {@code g} in place as standard ONNX: the base op (plus an Add for
     * FusedMatMul's bias) and then the activation op. Output values keep their names, so graph
     * outputs and consumers are untouched. Returns the number of nodes rewritten; drops the
     * {@value #DOMAIN} opset import when no node of that domain remains.
     */
    public static int unfuse(Graph g) {
        int count = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (DOMAIN.equals(n.domain()) && n.opType().equals(INVERTED_RESIDUAL)) {
                unfuseBlock(g, n);
                count++;
                continue;
            }
            String base = baseOp(n);
            if (base == null) continue;
            unfuseOne(g, n, base);
            count++;
        }
        if (count > 0) {
            boolean left = g.nodes().stream().anyMatch(n -> DOMAIN.equals(n.domain()));
            if (!left) g.opsetImports().remove(DOMAIN);
        }
        return count;
    }

    private static void unfuseOne(Graph g, Node n, String base) {
        String act = n.attrString(ACTIVATION, "");
        float[] params = n.attrFloats(ACTIVATION_PARAMS, new float[0]);
        Value y = n.output(0);
        List<Value> ins = new ArrayList<>(n.inputs());
        Value bias = null;
        if (base.equals("MatMul") && ins.size() > 2) {
            bias = ins.get(2);
            ins = new ArrayList<>(ins.subList(0, 2));
        }
        while (!ins.isEmpty() && ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        // Chain: base -> [Add bias] -> [activation]; the last node takes over y's name.
        List<String> steps = new ArrayList<>();
        steps.add(base);
        if (bias != null) steps.add("Add");
        if (!act.isEmpty()) steps.add(act);
        String yName = y.name();
        String tmpName = g.uniqueName(yName + "_unfused");
        g.rename(y, tmpName);
        Value cur = null;
        int at = g.nodes().indexOf(n);
        g.removeNode(n);
        for (int i = 0; i < steps.size(); i++) {
            String op = steps.get(i);
            boolean last = i == steps.size() - 1;
            String outName = last ? yName : g.uniqueName(yName + "_" + op.toLowerCase(java.util.Locale.ROOT));
            List<Value> in;
            if (i == 0) {
                in = ins;
            } else if (op.equals("Add")) {
                in = List.of(cur, bias);
            } else {
                in = activationInputs(g, n, act, params, cur);
            }
            String nodeName = i == 0 ? n.name() : g.uniqueName(n.name() + "_" + op.toLowerCase(java.util.Locale.ROOT));
            Node m = g.insertNode(at + i, op, "", nodeName, in, List.of(outName));
            if (i == 0) {
                for (Map.Entry<String, Attribute> e : n.attributes().entrySet()) {
                    if (!e.getKey().equals(ACTIVATION) && !e.getKey().equals(ACTIVATION_PARAMS)) m.setAttr(e.getKey(), e.getValue());
                }
            } else if (!op.equals("Add")) {
                activationAttrs(n, act, params, m, g.opset());
            }
            m.output(0).setType(y.type());
            cur = m.output(0);
        }
        g.replaceAllUses(y, cur);
        g.removeUnusedValues();
    }

    /**
     * An InvertedResidual node back as Conv [-> activation] -> Conv (depthwise) [-> activation] ->
     * Conv [-> Add X], the chain it was fused from; the last node takes over the output's name.
     */
    private static void unfuseBlock(Graph g, Node n) {
        Value y = n.output(0), x = n.input(0);
        String yName = y.name();
        g.rename(y, g.uniqueName(yName + "_unfused"));
        int at = g.nodes().indexOf(n);
        g.removeNode(n);
        boolean residual = n.attrInt("residual", 0) != 0;
        List<Node> chain = new ArrayList<>();
        Value cur = x;
        Dim mid = n.input(3).shape().dim(0);
        if (n.hasInput(1)) {
            cur = blockStep(g, n, at + chain.size(), chain, "Conv", "_expand", conv(n, 1, 2, cur), Map.of());
            cur = blockActivation(g, n, at, chain, "expand", cur);
            setTypes(chain, withChannels(x.type(), mid));
        }
        int done = chain.size();
        Map<String, Attribute> dwAttrs = new java.util.LinkedHashMap<>();
        dwAttrs.put("group", Attribute.of(n.input(3).shape().dim(0).value()));
        dwAttrs.put("kernel_shape", Attribute.ofInts(List.of(3L, 3L)));
        dwAttrs.put("strides", Attribute.of(n.attrInts("strides", new long[] {1, 1})));
        dwAttrs.put("pads", Attribute.of(n.attrInts("pads", new long[] {0, 0, 0, 0})));
        cur = blockStep(g, n, at + chain.size(), chain, "Conv", "_dw", conv(n, 3, 4, cur), dwAttrs);
        cur = blockActivation(g, n, at, chain, "depthwise", cur);
        setTypes(chain.subList(done, chain.size()), withChannels(y.type(), mid));
        cur = blockStep(g, n, at + chain.size(), chain, "Conv", "_project", conv(n, 5, 6, cur), Map.of());
        if (residual) cur = blockStep(g, n, at + chain.size(), chain, "Add", "_add", List.of(cur, x), Map.of());
        setTypes(chain.subList(chain.size() - (residual ? 2 : 1), chain.size()), y.type());
        g.replaceAllUses(y, cur);
        g.removeUnusedValues();
        g.rename(cur, yName);
    }

    private static TensorType withChannels(TensorType t, Dim c) {
        if (t == null || t.shape() == null) return null;
        Dim[] d = t.shape().dims();
        d[1] = c;
        return new TensorType(t.dtype(), Shape.of(d));
    }

    private static void setTypes(List<Node> nodes, TensorType t) {
        for (Node m : nodes) m.output(0).setType(t);
    }

    private static List<Value> conv(Node n, int wi, int bi, Value in) {
        List<Value> r = new ArrayList<>(List.of(in, n.input(wi)));
        if (n.hasInput(bi)) r.add(n.input(bi));
        return r;
    }

    private static Value blockStep(Graph g, Node n, int at, List<Node> chain, String op, String suffix, List<Value> ins,
                                   Map<String, Attribute> attrs) {
        String base = n.name() + suffix;
        Node m = g.insertNode(at, op, "", g.uniqueName(base), ins, List.of(g.uniqueName(n.output(0).name() + suffix)));
        for (Map.Entry<String, Attribute> e : attrs.entrySet()) m.setAttr(e.getKey(), e.getValue());
        chain.add(m);
        return m.output(0);
    }

    private static Value blockActivation(Graph g, Node n, int at, List<Node> chain, String stage, Value cur) {
        String act = n.attrString(stage + "_activation", "");
        if (act.isEmpty()) return cur;
        float[] p = n.attrFloats(stage + "_activation_params", new float[0]);
        Node prev = chain.get(chain.size() - 1);
        Value out = blockStep(g, n, at + chain.size(), chain, act, "_" + stage + "_" + act.toLowerCase(java.util.Locale.ROOT),
                activationInputs(g, prev, act, p, cur), Map.of());
        activationAttrs(n, act, p, out.producer(), g.opset());
        return out;
    }

    private static List<Value> activationInputs(Graph g, Node n, String act, float[] p, Value x) {
        if (act.equals("Clip") && g.opset() >= 11) {
            // Opset 11 moved Clip's bounds from attributes to optional inputs.
            float lo = p.length > 0 ? p[0] : Float.NEGATIVE_INFINITY, hi = p.length > 1 ? p[1] : Float.POSITIVE_INFINITY;
            Value min = g.addInitializer(g.uniqueName(n.name() + "_clip_min"), Tensor.of(new float[] {lo}));
            Value max = g.addInitializer(g.uniqueName(n.name() + "_clip_max"), Tensor.of(new float[] {hi}));
            return List.of(x, min, max);
        }
        return List.of(x);
    }

    private static void activationAttrs(Node n, String act, float[] p, Node m, int opset) {
        switch (act) {
            case "Relu", "Sigmoid", "Tanh", "HardSwish" -> { }
            case "LeakyRelu" -> { if (p.length > 0) m.setAttr("alpha", Attribute.of(p[0])); }
            case "HardSigmoid" -> {
                if (p.length > 0) m.setAttr("alpha", Attribute.of(p[0]));
                if (p.length > 1) m.setAttr("beta", Attribute.of(p[1]));
            }
            case "Clip" -> {
                if (opset < 11) {
                    if (p.length > 0) m.setAttr("min", Attribute.of(p[0]));
                    if (p.length > 1) m.setAttr("max", Attribute.of(p[1]));
                }
            }
            default -> throw new EdgeoptException("node " + n.describe() + ": cannot unfuse activation '" + act + "'");
        }
    }
}
