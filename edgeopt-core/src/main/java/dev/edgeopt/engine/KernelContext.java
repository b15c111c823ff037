package dev.edgeopt.engine;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Tensor;

/**
 * Everything a {@link KernelFactory} may use: the node, concrete input and output types, the values
 * of constant inputs, the thread pool, and scratch memory shared by all kernels of a plan.
 */
public final class KernelContext {
    private final Node node;
    private final int opset;
    private final TensorType[] inTypes;
    private final TensorType[] outTypes;
    private final Tensor[] constants;
    private final ThreadPool pool;
    private final Scratch scratch;

    public KernelContext(Node node, int opset, TensorType[] inTypes, TensorType[] outTypes, Tensor[] constants,
                         ThreadPool pool, Scratch scratch) {
        this.node = node;
        this.opset = opset;
        this.inTypes = inTypes;
        this.outTypes = outTypes;
        this.constants = constants;
        this.pool = pool;
        this.scratch = scratch;
    }

    public Node node() { return node; }

    public int opset() { return opset; }

    public int inputCount() { return inTypes.length; }

    public int outputCount() { return outTypes.length; }

    public boolean hasInput(int i) { return i < inTypes.length && inTypes[i] != null; }

    public TensorType inType(int i) { return i < inTypes.length ? inTypes[i] : null; }

    public TensorType outType(int i) { return outTypes[i]; }

    /** Concrete dims of input i. */
    public int[] inShape(int i) {
        if (!hasInput(i)) throw fail("input " + i + " is missing");
        return inTypes[i].shape().toIntArray();
    }

    public int[] outShape(int i) { return outTypes[i].shape().toIntArray(); }

    public DType inDtype(int i) { return hasInput(i) ? inTypes[i].dtype() : null; }

    public DType outDtype(int i) { return outTypes[i].dtype(); }

    /** The value of input i when it is a constant (initializer or folded), else null. */
    public Tensor constant(int i) { return constants != null && i < constants.length ? constants[i] : null; }

    public ThreadPool pool() { return pool; }

    public int threads() { return pool.threads(); }

    /**
     * Scratch memory for this kernel's run, shared with other kernels of the plan (they run one at a
     * time). Valid only inside {@link Kernel#run}; read {@link Scratch.Ref#array()} there.
     */
    public Scratch.Ref scratch(DType dtype, int elements) { return scratch.request(dtype, elements); }

    /**
     * A context for the same node, pool and scratch with other input/output types and constants: for
     * kernels that run another kernel on converted operands (e.g. an int8 op through an fp32 one).
     */
    public KernelContext derive(TensorType[] inTypes, TensorType[] outTypes, Tensor[] constants) {
        return derive(inTypes, outTypes, constants, pool);
    }

    /** As above with another pool, e.g. one thread for work run inside this kernel's own parallel loop. */
    public KernelContext derive(TensorType[] inTypes, TensorType[] outTypes, Tensor[] constants, ThreadPool pool) {
        return derive(node, inTypes, outTypes, constants, pool);
    }

    /** As above for another node (e.g. a copy with other attributes); errors still name it. */
    public KernelContext derive(Node other, TensorType[] inTypes, TensorType[] outTypes, Tensor[] constants, ThreadPool pool) {
        return new KernelContext(other, opset, inTypes, outTypes, constants, pool, scratch);
    }

    public long attrInt(String key, long dflt) { return node.attrInt(key, dflt); }
    public float attrFloat(String key, float dflt) { return node.attrFloat(key, dflt); }
    public String attrString(String key, String dflt) { return node.attrString(key, dflt); }
    public long[] attrInts(String key, long[] dflt) { return node.attrInts(key, dflt); }
    public float[] attrFloats(String key, float[] dflt) { return node.attrFloats(key, dflt); }

    public EdgeoptException fail(String message) {
        return new EdgeoptException("node " + node.describe() + ": " + message);
    }

    public int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw fail("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }
}
