package dev.edgeopt.ir;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model: nodes over named values, with graph inputs, outputs, initializers, opset imports and
 * metadata. Mutable, so passes can rewrite in place after {@link #copy()}; nodes are kept in
 * topological order by whoever mutates (call {@link #sortTopologically()} after inserting out of
 * order).
 */
public final class Graph {
    /** The default ONNX domain's opset new graphs target. */
    public static final int DEFAULT_OPSET = 17;

    private String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final Map<String, Long> opsetImports = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String producerName = "edgeopt";
    private String producerVersion = "";
    private String docString = "";
    private long irVersion = 8;
    private long modelVersion = 0;
    private Map<Value, List<Node>> uses;
    private int nameCounter;

    public Graph(String name) {
        this.name = name == null ? "graph" : name;
        opsetImports.put("", (long) DEFAULT_OPSET);
    }

    public String name() { return name; }

    public void setName(String name) { this.name = name; }

    // ---------------------------------------------------------------- values

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    /** Every value by name: inputs, initializers and node outputs. */
    public Map<String, Value> values() { return Collections.unmodifiableMap(values); }

    public Value value(String name) { return values.get(name); }

    /** Values that hold initializer data, in insertion order. */
    public List<Value> initializers() {
        List<Value> r = new ArrayList<>();
        for (Value v : values.values()) if (v.isConstant()) r.add(v);
        return r;
    }

    public Value addInput(String name, TensorType type) {
        Value v = newValue(name, type);
        inputs.add(v);
        return v;
    }

    public Value addInitializer(String name, Tensor data) {
        Value v = newValue(name, data.type());
        v.setConstant(data);
        return v;
    }

    /** Replaces the data of an initializer (its type follows). */
    public void setConstant(Value v, Tensor data) {
        if (v.producer != null || inputs.contains(v)) {
            throw new IllegalArgumentException(v.name() + " is computed or is a graph input; it cannot become a constant in place");
        }
        v.setConstant(data);
    }

    /** Turns a constant back into a plain value (used when re-materializing). */
    public void clearConstant(Value v) { v.setConstant(null); }

    public void addOutput(Value v) { outputs.add(v); }

    public void setOutput(int i, Value v) { outputs.set(i, v); invalidateUses(); }

    public void removeInput(Value v) { inputs.remove(v); }

    public void clearOutputs() { outputs.clear(); invalidateUses(); }

    /** Creates a value with exactly this name; throws if it is taken. */
    public Value newValue(String name, TensorType type) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("value name must not be empty");
        if (values.containsKey(name)) throw new EdgeoptException("duplicate value name '" + name + "' in graph " + this.name);
        Value v = new Value(name, type);
        values.put(name, v);
        return v;
    }

    /** A value name not yet used in this graph, derived from {@code base}. */
    public String uniqueName(String base) {
        if (base == null || base.isEmpty()) base = "v";
        if (!values.containsKey(base) && !nodeNameTaken(base)) return base;
        while (true) {
            String n = base + "_" + (++nameCounter);
            if (!values.containsKey(n) && !nodeNameTaken(n)) return n;
        }
    }

    private boolean nodeNameTaken(String n) {
        for (Node x : nodes) if (n.equals(x.name())) return true;
        return false;
    }

    /** Renames a value (graph outputs keep their identity, so this is how passes preserve output names). */
    public void rename(Value v, String newName) {
        if (v.name().equals(newName)) return;
        if (values.containsKey(newName)) throw new EdgeoptException("duplicate value name '" + newName + "'");
        values.remove(v.name());
        Value.rename(v, newName);
        values.put(newName, v);
    }

    // ---------------------------------------------------------------- nodes

    /**
     * Appends a node whose outputs are new values with the given names. Output types start unknown;
     * shape inference fills them.
     */
    public Node addNode(String opType, String nodeName, List<Value> ins, List<String> outNames) {
        return insertNode(nodes.size(), opType, "", nodeName, ins, outNames);
    }

    /** Appends a node with {@code nOut} fresh outputs named after the node. */
    public Node addNode(String opType, String nodeName, List<Value> ins, int nOut) {
        List<String> outs = new ArrayList<>();
        String base = nodeName == null || nodeName.isEmpty() ? opType : nodeName;
        for (int i = 0; i < nOut; i++) outs.add(uniqueName(nOut == 1 ? base + "_out" : base + "_out" + i));
        return addNode(opType, nodeName, ins, outs);
    }

    public Node insertNode(int index, String opType, String domain, String nodeName, List<Value> ins, List<String> outNames) {
        Node n = new Node(nodeName == null || nodeName.isEmpty() ? uniqueName(opType) : nodeName, opType, domain);
        for (Value v : ins) n.inputs.add(v);
        for (int i = 0; i < outNames.size(); i++) {
            Value v = newValue(outNames.get(i), null);
            v.producer = n;
            v.producerIndex = i;
            n.outputs.add(v);
        }
        n.graph = this;
        nodes.add(index, n);
        invalidateUses();
        return n;
    }

    /** Inserts a node right before {@code anchor}. */
    public Node insertBefore(Node anchor, String opType, String nodeName, List<Value> ins, List<String> outNames) {
        int idx = nodes.indexOf(anchor);
        if (idx < 0) throw new IllegalArgumentException("anchor not in graph");
        return insertNode(idx, opType, "", nodeName, ins, outNames);
    }

    /** Adds an output to a node (for ops with variadic outputs, e.g. Split, built incrementally). */
    public Value addNodeOutput(Node n, String outName) {
        Value v = newValue(outName, null);
        v.producer = n;
        v.producerIndex = n.outputs.size();
        n.outputs.add(v);
        return v;
    }

    /**
     * Removes a node. Its output values stay registered only while something still refers to them;
     * call {@link #removeUnusedValues()} after a batch of removals.
     */
    public void removeNode(Node n) {
        if (!nodes.remove(n)) return;
        for (Value v : n.outputs) {
            if (v.producer == n) {
                v.producer = null;
                v.producerIndex = -1;
            }
        }
        n.graph = null;
        invalidateUses();
    }

    /** Every use of {@code from} (node inputs and graph outputs) now reads {@code to}. */
    public void replaceAllUses(Value from, Value to) {
        for (Node n : nodes) {
            for (int i = 0; i < n.inputs.size(); i++) if (n.inputs.get(i) == from) n.inputs.set(i, to);
        }
        for (int i = 0; i < outputs.size(); i++) if (outputs.get(i) == from) outputs.set(i, to);
        invalidateUses();
    }

    /** Nodes that read {@code v}, in graph order (a node appears once even if it reads v twice). */
    public List<Node> uses(Value v) {
        if (uses == null) {
            uses = new IdentityHashMap<>();
            for (Node n : nodes) {
                for (Value in : n.inputs) {
                    if (in == null) continue;
                    List<Node> l = uses.computeIfAbsent(in, k -> new ArrayList<>());
                    if (l.isEmpty() || l.get(l.size() - 1) != n) l.add(n);
                }
            }
        }
        List<Node> l = uses.get(v);
        return l == null ? List.of() : Collections.unmodifiableList(l);
    }

    public boolean isGraphOutput(Value v) { return outputs.contains(v); }

    public boolean isGraphInput(Value v) { return inputs.contains(v); }

    void invalidateUses() { uses = null; }

    /** Drops values that nothing produces, reads, or exports (including unused initializers). */
    public int removeUnusedValues() {
        java.util.Set<Value> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(inputs);
        live.addAll(outputs);
        for (Node n : nodes) {
            for (Value v : n.inputs) if (v != null) live.add(v);
            live.addAll(n.outputs);
        }
        int before = values.size();
        values.values().removeIf(v -> !live.contains(v));
        return before - values.size();
    }

    /**
     * Reorders nodes topologically, keeping the current order where it is already valid.
     *
     * @throws EdgeoptException naming a node on a cycle
     */
    public void sortTopologically() {
        Map<Node, Integer> pending = new IdentityHashMap<>();
        Map<Value, List<Node>> readers = new IdentityHashMap<>();
        for (Node n : nodes) {
            int deps = 0;
            for (Value v : n.inputs) {
                if (v != null && v.producer != null && v.producer.graph == this) {
                    deps++;
                    readers.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
                }
            }
            pending.put(n, deps);
        }
        // A priority by original index keeps the order stable, which keeps exports diffable.
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) index.put(nodes.get(i), i);
        java.util.PriorityQueue<Node> ready = new java.util.PriorityQueue<>((a, b) -> Integer.compare(index.get(a), index.get(b)));
        for (Node n : nodes) if (pending.get(n) == 0) ready.add(n);
        List<Node> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            order.add(n);
            for (Value out : n.outputs) {
                for (Node r : readers.getOrDefault(out, List.of())) {
                    int d = pending.merge(r, -1, Integer::sum);
                    if (d == 0) ready.add(r);
                }
            }
        }
        if (order.size() != nodes.size()) {
            for (Node n : nodes) {
                if (pending.get(n) > 0) throw new EdgeoptException("graph " + name + " has a cycle through node " + n.describe());
            }
        }
        nodes.clear();
        nodes.addAll(order);
        invalidateUses();
    }

    // ---------------------------------------------------------------- model-level fields

    /** Opset per domain ("" is ai.onnx). */
    public Map<String, Long> opsetImports() { return opsetImports; }

    public int opset() { return opsetImports.getOrDefault("", (long) DEFAULT_OPSET).intValue(); }

    public void setOpset(int v) { opsetImports.put("", (long) v); }

    /** Free-form key/value metadata (ONNX metadata_props); provenance goes here. */
    public Map<String, String> metadata() { return metadata; }

    public String producerName() { return producerName; }
    public void setProducerName(String s) { producerName = s; }
    public String producerVersion() { return producerVersion; }
    public void setProducerVersion(String s) { producerVersion = s; }
    public String docString() { return docString; }
    public void setDocString(String s) { docString = s; }
    public long irVersion() { return irVersion; }
    public void setIrVersion(long v) { irVersion = v; }
    public long modelVersion() { return modelVersion; }
    public void setModelVersion(long v) { modelVersion = v; }

    // ---------------------------------------------------------------- copying

    /**
     * A structural copy: new nodes and values, same names and attributes. Initializer tensors are
     * shared; they are treated as immutable everywhere (passes write new tensors).
     */
    public Graph copy() {
        Graph g = new Graph(name);
        g.opsetImports.clear();
        g.opsetImports.putAll(opsetImports);
        g.metadata.putAll(metadata);
        g.producerName = producerName;
        g.producerVersion = producerVersion;
        g.docString = docString;
        g.irVersion = irVersion;
        g.modelVersion = modelVersion;
        Map<Value, Value> map = new HashMap<>();
        for (Value v : values.values()) {
            Value c = new Value(v.name(), v.type());
            if (v.isConstant()) c.setConstant(v.constant());
            g.values.put(c.name(), c);
            map.put(v, c);
        }
        for (Value v : inputs) g.inputs.add(map.get(v));
        for (Node n : nodes) {
            Node c = new Node(n.name(), n.opType(), n.domain());
            for (Value v : n.inputs) c.inputs.add(v == null ? null : map.get(v));
            for (Value v : n.outputs) {
                Value cv = map.get(v);
                cv.producer = c;
                cv.producerIndex = c.outputs.size();
                c.outputs.add(cv);
            }
            for (var e : n.attributes().entrySet()) c.setAttr(e.getKey(), e.getValue());
            c.graph = g;
            g.nodes.add(c);
        }
        for (Value v : outputs) g.outputs.add(map.get(v));
        g.nameCounter = nameCounter;
        return g;
    }

    /** Number of nodes per op type, sorted by op name. */
    public Map<String, Integer> opHistogram() {
        Map<String, Integer> h = new java.util.TreeMap<>();
        for (Node n : nodes) h.merge(n.opType(), 1, Integer::sum);
        return h;
    }

    /** Nodes in reverse order, for backward walks. */
    public Deque<Node> reversedNodes() {
        Deque<Node> d = new ArrayDeque<>();
        for (Node n : nodes) d.push(n);
        return d;
    }

    @Override public String toString() { return GraphPrinter.print(this); }
}
