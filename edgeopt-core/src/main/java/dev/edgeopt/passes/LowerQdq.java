package dev.edgeopt.passes;

import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lowers a QDQ graph to integer ops: each {@code DequantizeLinear -> op [-> Relu/Clip] ->
 * QuantizeLinear} becomes one op on the 8-bit tensors, under ONNX Runtime's names, so the result is
 * the QOperator format that ORT runs:
 * <ul>
 *   <li>Conv → QLinearConv, MatMul → QLinearMatMul (default domain); Gemm → QGemm, Add/Mul →
 *       QLinearAdd/QLinearMul, Concat → QLinearConcat, AveragePool/GlobalAveragePool →
 *       QLinear(Global)AveragePool, Sigmoid/LeakyRelu → QLinearSigmoid/QLinearLeakyRelu, Softmax →
 *       QLinearSoftmax when its output scale is 1/k and zero point the type's minimum (the
 *       quantizer's fixed 1/256; domain {@code com.microsoft});</li>
 *   <li>other unary activations (HardSwish, Tanh, Relu, Clip, HardSigmoid, Elu...) → edgeopt's
 *       {@code QLinearLookup}, a 256-entry table (ORT has no int8 HardSwish; {@link #raiseLookups}
 *       writes it back as DQ → op → Q for export);</li>
 *   <li>data movement (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity, MaxPool) whose Q
 *       has the DQ's parameters → the same op on the 8-bit tensor; GlobalMaxPool, whose ONNX form
 *       is float only, → edgeopt's {@code QLinearGlobalMaxPool} (written back by {@link #raiseLookups}).</li>
 * </ul>
 * A Relu/Clip between the op and its Q disappears when the output range already implies it
 * (Q∘Clip = Q: the clip bounds quantize to the type's limits, as for a fused Relu, whose zero point
 * is the type's minimum); otherwise it becomes a QLinearLookup after the integer op, which is still
 * exact because quantization is monotone. Activations are per tensor; weights may be per channel.
 * Everything else stays DQ → float op → Q (correct, only slower), and each such op is reported.
 */
public final class LowerQdq implements Pass {
    public static final String MS = "com.microsoft";
    public static final String LOOKUP = "QLinearLookup";
    public static final String GLOBAL_MAX_POOL = "QLinearGlobalMaxPool";

    private static final Set<String> MOVEMENT = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", "MaxPool");
    private static final Set<String> LOOKUP_OPS = Set.of("Relu", "Clip", "HardSwish", "HardSigmoid", "Tanh", "Elu", "Selu", "Softplus",
            "Softsign", "Gelu", "Neg", "Abs", "Exp", "Log", "Sqrt", "Erf", "Sin", "Cos", "Sigmoid", "LeakyRelu");

    @Override public String name() { return "lower-qdq"; }

    @Override public String description() { return "rewrite DQ -> op -> Q patterns as integer QOperator ops (QLinearConv, QGemm, QLinearAdd...)"; }

    /** A dequantized input: the 8-bit (or int32 bias) value and its scale and zero point values. */
    private record Deq(Value q, Value scale, Value zp) {}

    @Override public Graph run(Graph g, PassContext ctx) {
        boolean ms = false;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.graph() != g || !n.domain().isEmpty()) continue;
            String op = n.opType();
            if (op.equals("QuantizeLinear") || op.equals("DequantizeLinear")) continue;
            String done = lower(g, n);
            if (done != null) {
                ms |= done.startsWith(MS);
                ctx.changed(n.name(), op + " -> " + done);
            }
        }
        if (ms) g.opsetImports().put(MS, 1L);
        // DQ nodes whose consumers were all lowered are dead now.
        for (Node n : new ArrayList<>(g.reversedNodes())) {
            if (Rewrites.is(n, "DequantizeLinear") && g.uses(n.output(0)).isEmpty() && !g.isGraphOutput(n.output(0))) g.removeNode(n);
        }
        g.removeUnusedValues();
        // A float graph has nothing to lower; listing its ops as "stays float" would be noise.
        if (g.nodes().stream().anyMatch(n -> Rewrites.is(n, "DequantizeLinear"))) for (String f : floatOps(g)) ctx.changed(f);
        return g;
    }

    /**
     * The ops of a (lowered) graph that still compute in float, other than the QuantizeLinear and
     * DequantizeLinear at its boundaries, each as "op (node) stays float".
     */
    public static List<String> floatOps(Graph g) {
        List<String> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            String op = n.opType();
            if (n.domain().isEmpty() && (op.equals("QuantizeLinear") || op.equals("DequantizeLinear"))) continue;
            if (n.outputs().stream().anyMatch(v -> v.dtype() == DType.FLOAT)) out.add(op + " (" + n.name() + ") stays float");
        }
        return out;
    }

    /** Lowers the pattern around {@code n}; returns the new op's name, or null (graph unchanged). */
    private static String lower(Graph g, Node n) {
        String op = n.opType();
        Value out = n.output(0);
        if (n.outputCount() != 1 && !(op.equals("MaxPool") && Rewrites.onlyFirstOutputUsed(g, n))) return null;
        // The output side: op -> [Relu/Clip ->] Q.
        Node act = null, q;
        Node reader = Rewrites.soleReader(g, out);
        if (reader != null && (Rewrites.is(reader, "Relu") || Rewrites.is(reader, "Clip")) && reader.input(0) == out
                && Set.of("Conv", "Gemm", "MatMul", "Add").contains(op)) {
            act = reader;
            reader = Rewrites.soleReader(g, act.output(0));
        }
        if (!Rewrites.is(reader, "QuantizeLinear")) return null;
        q = reader;
        Deq y = params(q, 1, 2, false);
        if (y == null || q.attrInt("saturate", 1) != 1) return null;
        DType yt = q.output(0).dtype();
        if (yt != DType.INT8 && yt != DType.UINT8) return null;
        // The lookup that replaces an activation the output range does not imply (null: implied).
        Node clamp = act == null || implied(act, q) ? null : act;
        if (act != null && clamp != null && !constantBounds(act)) return null;

        List<Value> ins = new ArrayList<>();
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        String newOp, domain = "";
        switch (op) {
            case "Conv", "MatMul", "Gemm" -> {
                Deq x = act8(n.input(0)), w = weight(n.input(1), op.equals("Conv") ? 0 : op.equals("MatMul") ? 1 : (n.attrInt("transB", 0) != 0 ? 0 : 1));
                if (x == null || w == null || w.q.dtype() != DType.INT8) return null;
                Deq b = null;
                if (!op.equals("MatMul") && n.hasInput(2)) {
                    b = bias(n.input(2));
                    if (b == null) return null;
                }
                if (op.equals("Gemm")) {
                    if (n.attrFloat("alpha", 1f) != 1f || n.attrFloat("beta", 1f) != 1f || n.attrInt("transA", 0) != 0) return null;
                    if (b != null && n.input(2).shape() != null && n.input(2).shape().rank() != 1) return null;
                    newOp = "QGemm";
                    domain = MS;
                    ins.addAll(List.of(x.q, x.scale, x.zp, w.q, w.scale, w.zp));
                    ins.add(b == null ? null : b.q);
                    ins.addAll(List.of(y.scale, y.zp));
                    attrs.put("transB", Attribute.of(n.attrInt("transB", 0)));
                } else if (op.equals("Conv")) {
                    newOp = "QLinearConv";
                    ins.addAll(List.of(x.q, x.scale, x.zp, w.q, w.scale, w.zp, y.scale, y.zp));
                    if (b != null) ins.add(b.q);
                    attrs.putAll(n.attributes());
                } else {
                    if (n.input(0).shape() == null || n.input(1).shape() == null || n.input(1).shape().rank() != 2) return null;
                    newOp = "QLinearMatMul";
                    ins.addAll(List.of(x.q, x.scale, x.zp, w.q, w.scale, w.zp, y.scale, y.zp));
                }
            }
            case "Add", "Mul" -> {
                Deq a = act8(n.input(0)), b = act8(n.input(1));
                if (a == null || b == null) return null;
                newOp = "QLinear" + op;
                domain = MS;
                ins.addAll(List.of(a.q, a.scale, a.zp, b.q, b.scale, b.zp, y.scale, y.zp));
            }
            case "Concat" -> {
                newOp = "QLinearConcat";
                domain = MS;
                ins.addAll(List.of(y.scale, y.zp));
                for (Value v : n.inputs()) {
                    Deq d = act8(v);
                    if (d == null) return null;
                    ins.addAll(List.of(d.q, d.scale, d.zp));
                }
                attrs.putAll(n.attributes());
            }
            case "AveragePool", "GlobalAveragePool" -> {
                Deq x = act8(n.input(0));
                if (x == null || x.q.dtype() != yt) return null;
                if (op.equals("AveragePool") && (n.input(0).shape() == null || n.input(0).shape().rank() != 4)) return null;
                long[] dil = n.attrInts("dilations", null);
                if (dil != null) for (long d : dil) if (d != 1) return null;
                newOp = "QLinear" + op;
                domain = MS;
                ins.addAll(List.of(x.q, x.scale, x.zp, y.scale, y.zp));
                attrs.putAll(n.attributes());
                attrs.remove("dilations");
            }
            case "GlobalMaxPool" -> {
                // Max commutes with a quantization shared by input and output. Not ONNX's name:
                // GlobalMaxPool is float only (raiseLookups writes it back for export).
                Deq x = act8(n.input(0));
                if (x == null || x.q.dtype() != yt || !sameParams(x, y)) return null;
                newOp = GLOBAL_MAX_POOL;
                domain = FusedOps.DOMAIN;
                ins.addAll(List.of(x.q, x.scale, x.zp, y.scale, y.zp));
            }
            case "Softmax" -> {
                Deq x = act8(n.input(0));
                if (x == null || x.q.dtype() != yt || !softmaxOutput(y, yt)) return null;
                newOp = "QLinearSoftmax";
                domain = MS;
                ins.addAll(List.of(x.q, x.scale, x.zp, y.scale, y.zp));
                long opset = g.opset();
                attrs.put("axis", Attribute.of(n.attrInt("axis", opset < 13 ? 1 : -1)));
                attrs.put("opset", Attribute.of(opset));
            }
            default -> {
                Deq x = act8(n.input(0));
                if (x == null) return null;
                if (MOVEMENT.contains(op)) {
                    // Same parameters in and out: the op moves integers exactly as it moves floats.
                    if (!sameParams(x, y) || x.q.dtype() != yt) return null;
                    newOp = op;
                    ins.add(x.q);
                    for (int i = 1; i < n.inputCount(); i++) {
                        Value v = n.input(i);
                        if (v != null && v.dtype() == DType.FLOAT) return null;
                        ins.add(v);
                    }
                    attrs.putAll(n.attributes());
                } else if (LOOKUP_OPS.contains(op)) {
                    for (int i = 1; i < n.inputCount(); i++) if (n.input(i) != null && !n.input(i).isConstant()) return null;
                    ins.addAll(List.of(x.q, x.scale, x.zp, y.scale, y.zp));
                    if (op.equals("Sigmoid") || op.equals("LeakyRelu")) {
                        newOp = "QLinear" + op;
                        domain = MS;
                    } else {
                        newOp = LOOKUP;
                        domain = FusedOps.DOMAIN;
                        attrs.put("op", Attribute.of(op));
                        for (int i = 1; i < n.inputCount(); i++) ins.add(n.input(i));
                    }
                    attrs.putAll(n.attributes());
                } else {
                    return null;
                }
            }
        }
        // Rewrite: the new op computes the Q's output (its name and type stay).
        Value result = q.output(0);
        int at = g.nodes().indexOf(q);
        String name = n.name();
        Node lowered = g.insertNode(at, newOp, domain, g.uniqueName(name + "_int"), ins, List.of(g.uniqueName(result.name() + "_int")));
        for (var e : attrs.entrySet()) lowered.setAttr(e.getKey(), e.getValue());
        Value last = lowered.output(0);
        last.setType(result.type());
        if (clamp != null) {
            List<Value> lin = new ArrayList<>(List.of(last, y.scale, y.zp, y.scale, y.zp));
            for (int i = 1; i < clamp.inputCount(); i++) lin.add(clamp.input(i));
            Node l = g.insertNode(at + 1, LOOKUP, FusedOps.DOMAIN, g.uniqueName(clamp.name() + "_int"), lin, List.of(g.uniqueName(result.name() + "_clamp")));
            l.setAttr("op", Attribute.of(clamp.opType()));
            for (var e : clamp.attributes().entrySet()) l.setAttr(e.getKey(), e.getValue());
            l.output(0).setType(result.type());
            last = l.output(0);
        }
        g.replaceAllUses(result, last);
        g.removeNode(q);
        if (act != null) g.removeNode(act);
        g.removeNode(n);
        g.removeUnusedValues();
        String resultName = result.name();
        g.rename(last, resultName);
        lowered.setName(g.uniqueName(name));
        return (domain.isEmpty() ? "" : domain + ".") + newOp + (act == null ? "" : clamp == null ? " (" + act.opType() + " implied by the output range)" : " + " + LOOKUP + " " + act.opType());
    }

    /** A DequantizeLinear of an 8-bit activation with per-tensor constant parameters, else null. */
    private static Deq act8(Value v) {
        if (v == null || !Rewrites.is(v.producer(), "DequantizeLinear")) return null;
        Deq d = params(v.producer(), 1, 2, false);
        if (d == null) return null;
        DType t = d.q.dtype();
        return t == DType.INT8 || t == DType.UINT8 ? d : null;
    }

    /** A DequantizeLinear of a constant int8 weight, per tensor or per channel along {@code axis}. */
    private static Deq weight(Value v, int axis) {
        if (v == null || !Rewrites.is(v.producer(), "DequantizeLinear")) return null;
        Node dq = v.producer();
        Deq d = params(dq, 1, 2, true);
        if (d == null || !d.q.isConstant()) return null;
        if (d.scale.constant().size() > 1) {
            int rank = d.q.constant().rank();
            long a = dq.attrInt("axis", 1);
            if (a < 0) a += rank;
            if (a != axis) return null;
        }
        return d;
    }

    /** A DequantizeLinear of a constant int32 bias with zero point 0. */
    private static Deq bias(Value v) {
        if (v == null || !Rewrites.is(v.producer(), "DequantizeLinear")) return null;
        Node dq = v.producer();
        Value b = dq.input(0);
        if (!b.isConstant() || b.dtype() != DType.INT32) return null;
        if (dq.hasInput(2)) {
            Tensor z = dq.input(2).constant();
            if (z == null) return null;
            for (int i = 0; i < z.size(); i++) if (z.getLong(i) != 0) return null;
        }
        return new Deq(b, dq.input(1), null);
    }

    /** The node's quantized side and its constant scale and zero point (0 when absent). */
    private static Deq params(Node qdq, int si, int zi, boolean perChannel) {
        Value s = qdq.input(si), z = qdq.input(zi);
        if (s == null || !s.isConstant() || s.constant().dtype() != DType.FLOAT) return null;
        if (!perChannel && s.constant().size() != 1) return null;
        if (qdq.attrInt("block_size", 0) != 0) return null;
        Value x = qdq.opType().equals("QuantizeLinear") ? qdq.output(0) : qdq.input(0);
        if (z == null) {
            // QLinear ops take every zero point explicitly; ONNX's default is 0 of the 8-bit type.
            // Should the rewrite not happen, run() drops the unused constant again.
            DType t = x.dtype();
            if (t != DType.INT8 && t != DType.UINT8) return null;
            Graph g = qdq.graph();
            z = g.addInitializer(g.uniqueName(s.name() + "_zp"), Tensor.allocate(t, s.constant().shape()));
        } else if (!z.isConstant() || z.constant().size() != s.constant().size()) {
            return null;
        }
        return new Deq(x, s, z);
    }

    /**
     * Whether a Softmax's output Q is one QLinearSoftmax computes as the quantized softmax: scale
     * 1/k for an integer k <= 256 (ORT multiplies by floor(1/y_scale)) and the type's minimum as
     * zero point (ORT clamps only above 255, so a lower int8 zero point could wrap; with k <= 256
     * and zero point -128 only a probability of 1 can, see the kernel).
     */
    private static boolean softmaxOutput(Deq y, DType t) {
        float inv = 1f / y.scale.constant().getFloat(0);
        return inv == Math.rint(inv) && inv >= 1 && inv <= 256 && y.zp.constant().getLong(0) == QuantMath.qmin(t) && y.zp.dtype() == t;
    }

    private static boolean sameParams(Deq a, Deq b) {
        return a.scale.constant().getFloat(0) == b.scale.constant().getFloat(0) && a.zp.constant().getLong(0) == b.zp.constant().getLong(0)
                && a.zp.dtype() == b.zp.dtype();
    }

    private static boolean constantBounds(Node act) {
        for (int i = 1; i < act.inputCount(); i++) if (act.input(i) != null && !act.input(i).isConstant()) return false;
        return true;
    }

    /** Whether Q(act(v)) == Q(v) for every v: the bounds quantize to the type's limits. */
    private static boolean implied(Node act, Node q) {
        float scale = q.input(1).constant().getFloat(0);
        long zp = q.input(2) == null ? 0 : q.input(2).constant().getLong(0);
        DType t = q.output(0).dtype();
        long qmin = QuantMath.qmin(t), qmax = QuantMath.qmax(t);
        float lo, hi;
        if (act.opType().equals("Relu")) {
            lo = 0f;
            hi = Float.POSITIVE_INFINITY;
        } else {
            if (!constantBounds(act)) return false;
            lo = act.hasInput(1) ? act.input(1).constant().getFloat(0) : act.attrFloat("min", Float.NEGATIVE_INFINITY);
            hi = act.hasInput(2) ? act.input(2).constant().getFloat(0) : act.attrFloat("max", Float.POSITIVE_INFINITY);
        }
        boolean loOk = lo == Float.NEGATIVE_INFINITY || QuantMath.quantize(lo, scale, zp, qmin, qmax) == qmin;
        boolean hiOk = hi == Float.POSITIVE_INFINITY || QuantMath.quantize(hi, scale, zp, qmin, qmax) == qmax;
        return loOk && hiOk;
    }

    /**
     * Writes each QLinearLookup (and QLinearGlobalMaxPool) back as DequantizeLinear → float op →
     * QuantizeLinear, for runtimes without edgeopt's ops (the QOperator export). Returns how many
     * were rewritten.
     */
    public static int raiseLookups(Graph g) {
        int count = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (n.domain().equals(FusedOps.DOMAIN) && n.opType().equals(GLOBAL_MAX_POOL)) {
                raise(g, n, "GlobalMaxPool", Map.of(), List.of());
                count++;
                continue;
            }
            if (!n.domain().equals(FusedOps.DOMAIN) || !n.opType().equals(LOOKUP)) continue;
            String op = n.attrString("op", null);
            if (op == null) continue;
            Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
            attrs.remove("op");
            raise(g, n, op, attrs, n.inputs().subList(5, n.inputCount()));
            count++;
        }
        return count;
    }

    /**
     * Writes each int8 QLinearSoftmax whose output can reach {@code k + zero point > 127} (the
     * quantizer's 1/256 with -128) back as DequantizeLinear → Softmax → QuantizeLinear: ONNX
     * Runtime's int8 kernel clamps only above 255, so a probability that rounds to 1 comes out as
     * 128 cast to int8, -128 (the mlp with a Softmax output: 51% accuracy in ORT as a QOperator
     * file, 89% in QDQ form, where ORT's x86 pass runs the group as uint8). uint8 and
     * non-wrapping int8 nodes stay. Returns how many were rewritten.
     */
    public static int raiseWrappingSoftmax(Graph g) {
        int count = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!n.domain().equals(MS) || !n.opType().equals("QLinearSoftmax") || n.output(0).dtype() != DType.INT8) continue;
            if (n.inputCount() < 5 || n.input(3) == null || !n.input(3).isConstant() || n.input(4) == null || !n.input(4).isConstant()) continue;
            double k = Math.floor(1.0 / n.input(3).constant().getFloat(0));
            if (k + n.input(4).constant().getLong(0) <= 127) continue;
            // Softmax's axis rule is the graph's opset; keep the node only if that is not the rule it was lowered with.
            long opset = n.attrInt("opset", g.opset());
            if ((opset < 13) != (g.opset() < 13)) continue;
            raise(g, n, "Softmax", Map.of("axis", Attribute.of(n.attrInt("axis", -1))), List.of());
            count++;
        }
        return count;
    }

    /** Replaces the 8-bit op {@code n} (X, x_scale, x_zp, y_scale, y_zp, ...) by DQ → {@code op} → Q. */
    private static void raise(Graph g, Node n, String op, Map<String, Attribute> attrs, List<Value> extra) {
        String base = n.name();
        Node dq = g.insertBefore(n, "DequantizeLinear", g.uniqueName(base + "_DQ"), List.of(n.input(0), n.input(1), n.input(2)),
                List.of(g.uniqueName(base + "_x")));
        List<Value> fins = new ArrayList<>();
        fins.add(dq.output(0));
        fins.addAll(extra);
        Node f = g.insertBefore(n, op, g.uniqueName(base + "_" + op), fins, List.of(g.uniqueName(base + "_y")));
        for (var e : attrs.entrySet()) f.setAttr(e.getKey(), e.getValue());
        Node qn = g.insertBefore(n, "QuantizeLinear", g.uniqueName(base + "_Q"), List.of(f.output(0), n.input(3), n.input(4)),
                List.of(g.uniqueName(base + "_q")));
        Value out = n.output(0);
        String name = out.name();
        // The input's shape: not the output's when the op reduces (GlobalMaxPool).
        dq.output(0).setType(new dev.edgeopt.ir.TensorType(DType.FLOAT, n.input(0).shape() != null ? n.input(0).shape() : out.shape()));
        f.output(0).setType(new dev.edgeopt.ir.TensorType(DType.FLOAT, out.shape()));
        qn.output(0).setType(out.type());
        g.replaceAllUses(out, qn.output(0));
        g.removeNode(n);
        g.removeUnusedValues();
        g.rename(qn.output(0), name);
    }
}
