package dev.edgeopt.train;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutable state of a model under training: a private copy of every initializer (the graph's
 * own tensors stay immutable, as everywhere in edgeopt), and a gradient for each trainable one.
 * Running statistics are state without a gradient. Several {@link Tape}s (one per batch shape)
 * share one store.
 */
public final class Parameters {
    private final Map<String, Tensor> values = new LinkedHashMap<>();
    private final Map<String, Tensor> grads = new LinkedHashMap<>();
    private final java.util.Set<String> frozen = new java.util.HashSet<>();

    /** Metadata key listing (comma-separated) initializers that never train, e.g. input normalization. */
    public static final String FROZEN = "edgeopt.frozen";

    /** Copies every initializer of {@code g}; those listed under {@link #FROZEN} stay constant. */
    public Parameters(Graph g) {
        for (Value v : g.initializers()) values.put(v.name(), v.constant().copy());
        String f = g.metadata().get(FROZEN);
        if (f != null) for (String n : f.split(",")) if (!n.isBlank()) frozen.add(n.trim());
    }

    public Tensor value(String name) { return values.get(name); }

    public Map<String, Tensor> values() { return Collections.unmodifiableMap(values); }

    /** Trainable parameters with their gradients, in graph order. */
    public Map<String, Tensor> grads() { return Collections.unmodifiableMap(grads); }

    public List<String> trainable() { return new ArrayList<>(grads.keySet()); }

    void markTrainable(String name) {
        Tensor v = values.get(name);
        if (v.dtype() != DType.FLOAT || frozen.contains(name)) return;
        grads.computeIfAbsent(name, k -> Tensor.allocate(DType.FLOAT, v.dims()));
    }

    /** Clears the gradients before a backward pass. */
    public void zeroGrad() {
        for (Tensor t : grads.values()) java.util.Arrays.fill(t.floats(), t.offset(), t.offset() + t.size(), 0f);
    }

    /** Number of trainable scalars. */
    public long count() {
        long n = 0;
        for (Tensor t : grads.values()) n += t.size();
        return n;
    }

    /** Copies values back from another store or a checkpoint (same names and shapes). */
    public void load(Map<String, Tensor> from) {
        for (var e : values.entrySet()) {
            Tensor src = from.get(e.getKey());
            if (src == null) throw new dev.edgeopt.EdgeoptException("checkpoint lacks parameter '" + e.getKey() + "'");
            if (!java.util.Arrays.equals(src.dims(), e.getValue().dims()) || src.dtype() != e.getValue().dtype()) {
                throw new dev.edgeopt.EdgeoptException("checkpoint parameter '" + e.getKey() + "' is " + src.type() + ", the model has " + e.getValue().type());
            }
            src.copyTo(e.getValue());
        }
    }

    /** A copy of {@code g} whose initializers hold the current values. */
    public Graph export(Graph g) {
        Graph c = g.copy();
        for (var e : values.entrySet()) {
            Value v = c.value(e.getKey());
            if (v != null) c.setConstant(v, e.getValue().copy());
        }
        return c;
    }
}
