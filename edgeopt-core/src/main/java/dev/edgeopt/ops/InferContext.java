package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Tensor;

/**
 * What shape inference knows about one node's inputs. Besides types it may know input values
 * (constants) and, for small integer tensors computed from shapes, their symbolic contents
 * ({@link #inputShapeValue}), which is how {@code Reshape(x, Concat(Shape(x)[0], -1))} keeps a
 * symbolic batch.
 */
public final class InferContext {
    private final Node node;
    private final int opset;
    private final TensorType[] inTypes;
    private final Tensor[] inValues;
    private final Dim[][] inShapeValues;
    private final Dim[][] outShapeValues;

    public InferContext(Node node, int opset, TensorType[] inTypes, Tensor[] inValues, Dim[][] inShapeValues) {
        this.node = node;
        this.opset = opset;
        this.inTypes = inTypes;
        this.inValues = inValues;
        this.inShapeValues = inShapeValues;
        this.outShapeValues = new Dim[node.outputCount()][];
    }

    public Node node() { return node; }

    /** The default-domain opset of the model (op semantics vary with it). */
    public int opset() { return opset; }

    public int inputCount() { return node.inputCount(); }

    public boolean hasInput(int i) { return i < inTypes.length && node.input(i) != null; }

    /** The input's type, or null when the optional input is absent. */
    public TensorType inputType(int i) { return i < inTypes.length ? inTypes[i] : null; }

    /** The input's type; fails with a clear message when the input is absent or its rank unknown. */
    public TensorType requireType(int i) {
        TensorType t = inputType(i);
        if (t == null) throw fail("input " + i + " is missing");
        if (t.shape() == null) throw fail("input " + i + " ('" + node.input(i).name() + "') has unknown rank");
        return t;
    }

    public Shape inputShape(int i) { return requireType(i).shape(); }

    public DType inputDtype(int i) {
        TensorType t = inputType(i);
        if (t == null) throw fail("input " + i + " is missing");
        return t.dtype();
    }

    /** The input's value when known (a constant), else null. */
    public Tensor inputValue(int i) { return i < inValues.length ? inValues[i] : null; }

    /**
     * The contents of a rank-0 or rank-1 integer input as dims: known numbers, shape symbols, or
     * unknown entries. Null when nothing is known about the contents.
     */
    public Dim[] inputShapeValue(int i) {
        if (i < inShapeValues.length && inShapeValues[i] != null) return inShapeValues[i].clone();
        Tensor v = inputValue(i);
        if (v != null && v.rank() <= 1 && v.dtype().isInteger()) {
            Dim[] d = new Dim[v.size()];
            for (int k = 0; k < d.length; k++) {
                long x = v.getLong(k);
                d[k] = x >= 0 ? Dim.of(x) : Dim.unknown();
            }
            return d;
        }
        return null;
    }

    /**
     * The raw integer contents of an input when known exactly (including negative entries such as
     * Reshape's -1), else null.
     */
    public long[] inputLongs(int i) {
        Tensor v = inputValue(i);
        return v == null ? null : v.toLongArray();
    }

    /** Declares the symbolic contents of an integer output (Shape, Gather on shapes, Concat...). */
    public void setOutputShapeValue(int out, Dim[] value) { outShapeValues[out] = value; }

    public Dim[] outputShapeValue(int out) { return outShapeValues[out]; }

    /** An exception that names the node; use as {@code throw ctx.fail("...")}. */
    public EdgeoptException fail(String message) {
        return new EdgeoptException("node " + node.describe() + ": " + message);
    }

    // Attribute shortcuts (ONNX semantics: absent means the default).
    public long attrInt(String key, long dflt) { return node.attrInt(key, dflt); }
    public float attrFloat(String key, float dflt) { return node.attrFloat(key, dflt); }
    public String attrString(String key, String dflt) { return node.attrString(key, dflt); }
    public long[] attrInts(String key, long[] dflt) { return node.attrInts(key, dflt); }

    /** Normalizes a possibly negative axis against {@code rank}; fails when out of range. */
    public int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw fail("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }
}
