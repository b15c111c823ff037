package dev.edgeopt.ir;

import dev.edgeopt.tensor.Tensor;

/**
 * A named tensor in a graph: a graph input, an initializer (constant), or a node output. Identity
 * is by object; names are unique within a graph and are kept stable by passes so that error
 * messages and reports can refer to them.
 */
public final class Value {
    private String name;
    private TensorType type;
    private Tensor constant;
    Node producer;
    int producerIndex = -1;

    Value(String name, TensorType type) {
        this.name = name;
        this.type = type;
    }

    public String name() { return name; }

    /** The declared or inferred type; null until known. */
    public TensorType type() { return type; }

    public void setType(TensorType type) { this.type = type; }

    public DType dtype() { return type == null ? null : type.dtype(); }

    public Shape shape() { return type == null ? null : type.shape(); }

    /** The initializer data when this value is a constant, else null. */
    public Tensor constant() { return constant; }

    public boolean isConstant() { return constant != null; }

    void setConstant(Tensor t) {
        this.constant = t;
        if (t != null) this.type = t.type();
    }

    /** The node that computes this value; null for graph inputs and initializers. */
    public Node producer() { return producer; }

    /** Position of this value among its producer's outputs, or -1. */
    public int producerIndex() { return producerIndex; }

    static void rename(Value v, String name) { v.name = name; }

    @Override public String toString() { return name + ":" + (type == null ? "?" : type); }
}
