package dev.edgeopt.ir;

import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. {@code opType} is the op's one name in every layer (schema, kernels,
 * gradient, quantizer, C emitter). An omitted optional input is a {@code null} entry in
 * {@link #inputs()}, matching ONNX's empty input name.
 */
public final class Node {
    private String name;
    private final String opType;
    private final String domain;
    final List<Value> inputs = new ArrayList<>();
    final List<Value> outputs = new ArrayList<>();
    private final Map<String, Attribute> attrs = new LinkedHashMap<>();
    Graph graph;

    Node(String name, String opType, String domain) {
        this.name = name;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
    }

    public String name() { return name; }

    public void setName(String name) { this.name = name; }

    public String opType() { return opType; }

    /** ONNX domain; "" is the default ai.onnx domain, "edgeopt" holds our fused ops. */
    public String domain() { return domain; }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    public int inputCount() { return inputs.size(); }

    public int outputCount() { return outputs.size(); }

    /** The i-th input, or null when absent (omitted optional input or index past the end). */
    public Value input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public Value output(int i) { return outputs.get(i); }

    public boolean hasInput(int i) { return input(i) != null; }

    /** Rewires input {@code i}; the graph's use lists follow. */
    public void setInput(int i, Value v) {
        while (inputs.size() <= i) inputs.add(null);
        inputs.set(i, v);
        if (graph != null) graph.invalidateUses();
    }

    /** Drops trailing inputs past {@code n}. */
    public void truncateInputs(int n) {
        while (inputs.size() > n) inputs.remove(inputs.size() - 1);
        if (graph != null) graph.invalidateUses();
    }

    public Map<String, Attribute> attributes() { return Collections.unmodifiableMap(attrs); }

    public Attribute attr(String key) { return attrs.get(key); }

    public boolean hasAttr(String key) { return attrs.containsKey(key); }

    public Node setAttr(String key, Attribute a) {
        if (a == null) attrs.remove(key); else attrs.put(key, a);
        return this;
    }

    public Node removeAttr(String key) {
        attrs.remove(key);
        return this;
    }

    public long attrInt(String key, long dflt) {
        Attribute a = attrs.get(key);
        return a == null ? dflt : a.asInt();
    }

    public float attrFloat(String key, float dflt) {
        Attribute a = attrs.get(key);
        return a == null ? dflt : a.asFloat();
    }

    public String attrString(String key, String dflt) {
        Attribute a = attrs.get(key);
        return a == null ? dflt : a.asString();
    }

    /** The ints attribute, or {@code dflt} (which may be null) when absent. */
    public long[] attrInts(String key, long[] dflt) {
        Attribute a = attrs.get(key);
        return a == null ? dflt : a.asInts();
    }

    public float[] attrFloats(String key, float[] dflt) {
        Attribute a = attrs.get(key);
        return a == null ? dflt : a.asFloats();
    }

    public Tensor attrTensor(String key) {
        Attribute a = attrs.get(key);
        return a == null ? null : a.asTensor();
    }

    /** The graph that owns this node, or null once removed. */
    public Graph graph() { return graph; }

    /** "name (OpType)" as used in error messages. */
    public String describe() {
        return (name == null || name.isEmpty() ? "<unnamed>" : name) + " (" + (domain.isEmpty() ? "" : domain + ".") + opType + ")";
    }

    @Override public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(describe()).append(' ');
        for (int i = 0; i < outputs.size(); i++) b.append(i == 0 ? "" : ", ").append(outputs.get(i).name());
        b.append(" = ").append(opType).append('(');
        for (int i = 0; i < inputs.size(); i++) b.append(i == 0 ? "" : ", ").append(inputs.get(i) == null ? "" : inputs.get(i).name());
        b.append(')');
        if (!attrs.isEmpty()) b.append(' ').append(attrs);
        return b.toString();
    }
}
