package dev.edgeopt.ir;

import dev.edgeopt.EdgeoptException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Structural well-formedness: every input is defined before it is read, no value has two
 * producers, names are unique, nodes are in topological order (no cycles). Type agreement is
 * checked by {@code dev.edgeopt.ops.ShapeInference#verify}, which calls this first.
 */
public final class GraphVerifier {
    private GraphVerifier() {}

    /** @throws EdgeoptException naming the node and the problem */
    public static void verify(Graph g) {
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> nodeNames = new java.util.HashSet<>();
        for (Value v : g.inputs()) {
            if (g.value(v.name()) != v) throw new EdgeoptException("graph input '" + v.name() + "' is not registered in graph " + g.name());
            if (v.isConstant()) throw new EdgeoptException("graph input '" + v.name() + "' is also an initializer");
            if (!defined.add(v)) throw new EdgeoptException("graph input '" + v.name() + "' is listed twice");
        }
        for (Value v : g.values().values()) {
            if (v.isConstant()) {
                if (v.producer() != null) throw new EdgeoptException("initializer '" + v.name() + "' is also produced by node " + v.producer().describe());
                defined.add(v);
            }
        }
        // Catch cycles with a clear message before the order check reports them as undefined inputs.
        Graph probe = g.copy();
        probe.sortTopologically();
        for (Node n : g.nodes()) {
            if (n.graph() != g) throw new EdgeoptException("node " + n.describe() + " does not belong to graph " + g.name());
            if (n.name() != null && !n.name().isEmpty() && !nodeNames.add(n.name())) {
                throw new EdgeoptException("duplicate node name '" + n.name() + "'");
            }
            for (int i = 0; i < n.inputCount(); i++) {
                Value v = n.input(i);
                if (v == null) continue;
                if (g.value(v.name()) != v) {
                    throw new EdgeoptException("node " + n.describe() + " reads '" + v.name() + "', which is not a value of graph " + g.name());
                }
                if (!defined.contains(v)) {
                    String why = v.producer() == null ? "no node, input or initializer defines it" : "its producer " + v.producer().describe() + " comes later";
                    throw new EdgeoptException("node " + n.describe() + " reads '" + v.name() + "' before it is defined: " + why);
                }
            }
            for (int i = 0; i < n.outputCount(); i++) {
                Value v = n.output(i);
                if (v.producer() != n || v.producerIndex() != i) {
                    throw new EdgeoptException("value '" + v.name() + "' has more than one producer (node " + n.describe() + " and " + (v.producer() == null ? "a graph input or initializer" : v.producer().describe()) + ")");
                }
                if (g.value(v.name()) != v) throw new EdgeoptException("output '" + v.name() + "' of node " + n.describe() + " is not registered");
                if (!defined.add(v)) throw new EdgeoptException("value '" + v.name() + "' has more than one producer (node " + n.describe() + ")");
            }
        }
        for (Value v : g.outputs()) {
            if (!defined.contains(v)) throw new EdgeoptException("graph output '" + v.name() + "' is never computed");
        }
    }
}
