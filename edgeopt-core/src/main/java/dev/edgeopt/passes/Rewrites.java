package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Small graph-surgery helpers shared by the passes. Every helper either completes its rewrite or
 * changes nothing, so a pass can test preconditions first and then call one of these.
 */
final class Rewrites {
    private Rewrites() {}

    /** The float contents of a constant FLOAT value, else null. */
    static float[] floats(Value v) {
        if (v == null || !v.isConstant() || v.constant().dtype() != DType.FLOAT) return null;
        return v.constant().toFloatArray();
    }

    /** The single float of a constant with one element, else NaN. */
    static float scalar(Value v) {
        float[] f = floats(v);
        return f != null && f.length == 1 ? f[0] : Float.NaN;
    }

    /** True when only {@code reader} reads {@code v} and it is not a graph output. */
    static boolean onlyReadBy(Graph g, Value v, Node reader) {
        if (g.isGraphOutput(v)) return false;
        List<Node> u = g.uses(v);
        return u.size() == 1 && u.get(0) == reader;
    }

    /** The only node reading {@code v}, or null (several readers, none, or a graph output). */
    static Node soleReader(Graph g, Value v) {
        if (g.isGraphOutput(v)) return null;
        List<Node> u = g.uses(v);
        return u.size() == 1 ? u.get(0) : null;
    }

    /** Whether the node is op {@code op} of the default domain. */
    static boolean is(Node n, String op) { return n != null && n.domain().isEmpty() && n.opType().equals(op); }

    /** The producer of v when it is op {@code op}, else null. */
    static Node producer(Value v, String op) {
        return v != null && is(v.producer(), op) ? v.producer() : null;
    }

    static Value constant(Graph g, String base, Tensor t) { return g.addInitializer(g.uniqueName(base), t); }

    /** Whether every output after the first is unused (optional outputs such as BN's running stats). */
    static boolean onlyFirstOutputUsed(Graph g, Node n) {
        for (int i = 1; i < n.outputCount(); i++) {
            Value v = n.output(i);
            if (!v.name().isEmpty() && (!g.uses(v).isEmpty() || g.isGraphOutput(v))) return false;
        }
        return true;
    }

    /**
     * Replaces the chain {@code old} (in graph order, ending with the producer of {@code result})
     * by one new node that computes {@code result}: same value name and type, so graph outputs and
     * reports keep their names. The new node is called {@code name} (usually the main old node's).
     */
    static Node replace(Graph g, List<Node> old, Value result, String op, String domain, String name, List<Value> ins,
                        Map<String, Attribute> attrs) {
        int idx = g.nodes().indexOf(result.producer());
        String tmp = g.uniqueName(result.name() + "_rw");
        Node n = g.insertNode(idx, op, domain, g.uniqueName(name + "_rw"), ins, List.of(tmp));
        for (var e : attrs.entrySet()) n.setAttr(e.getKey(), e.getValue());
        n.output(0).setType(result.type());
        g.replaceAllUses(result, n.output(0));
        for (Node o : old) g.removeNode(o);
        g.removeUnusedValues();
        g.rename(n.output(0), result.name());
        n.setName(name);
        return n;
    }

    /**
     * Removes a node whose output 0 equals its input {@code in} (Identity, no-op Reshape...). When
     * the output is a graph output, the input takes over its name; that is impossible when the
     * input is itself a graph input, a constant or another graph output, and then nothing changes.
     *
     * @return whether the node was removed
     */
    static boolean bypass(Graph g, Node n, Value in) {
        Value out = n.output(0);
        if (!onlyFirstOutputUsed(g, n)) return false;
        if (!g.isGraphOutput(out)) {
            g.replaceAllUses(out, in);
            g.removeNode(n);
            g.removeUnusedValues();
            return true;
        }
        if (in.producer() == null || g.isGraphOutput(in) || g.isGraphInput(in)) return false;
        String name = out.name();
        g.replaceAllUses(out, in);
        g.removeNode(n);
        g.removeUnusedValues();
        g.rename(in, name);
        return true;
    }

    /** The attribute map of a node, copied (for re-creating it under another op or domain). */
    static Map<String, Attribute> attrs(Node n) { return new java.util.LinkedHashMap<>(n.attributes()); }
}
