package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Node;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/** What a {@link GradRule} sees when it creates a {@link TrainOp}: the node, concrete input shapes, constants, the pool. */
public final class TrainContext {
    private final Node node;
    private final int[][] inShapes;
    private final DType[] inTypes;
    private final Tensor[] constants;
    private final int[][] outShapes;
    private final DType[] outTypes;
    private final ThreadPool pool;
    private final long seed;
    private final long[] clock;

    TrainContext(Node node, int[][] inShapes, DType[] inTypes, Tensor[] constants, ThreadPool pool, long seed, long[] clock) {
        this.clock = clock;
        this.node = node;
        this.inShapes = inShapes;
        this.inTypes = inTypes;
        this.constants = constants;
        this.outShapes = new int[node.outputCount()][];
        this.outTypes = new DType[node.outputCount()];
        this.pool = pool;
        this.seed = seed;
    }

    public Node node() { return node; }

    public int inputCount() { return inShapes.length; }

    public boolean hasInput(int i) { return i < inShapes.length && inShapes[i] != null; }

    public int[] inShape(int i) {
        if (!hasInput(i)) throw fail("input " + i + " is required");
        return inShapes[i].clone();
    }

    public DType inDtype(int i) { return hasInput(i) ? inTypes[i] : null; }

    /** The value of input i when it is an initializer, else null. */
    public Tensor constant(int i) { return i < constants.length ? constants[i] : null; }

    public ThreadPool pool() { return pool; }

    /** A seed for this node's randomness (Dropout), derived from the run's seed and the node's position. */
    public long seed() { return seed; }

    /**
     * The tape's step counter (element 0), read by ops whose randomness must depend only on the
     * seed and the step, so that a resumed run and a repeated forward see the same masks.
     */
    public long[] clock() { return clock; }

    public void setOutput(int i, int[] shape) { setOutput(i, shape, DType.FLOAT); }

    public void setOutput(int i, int[] shape, DType dtype) {
        outShapes[i] = shape.clone();
        outTypes[i] = dtype;
    }

    int[][] outShapes() { return outShapes; }

    DType[] outTypes() { return outTypes; }

    public long attrInt(String key, long dflt) { return node.attrInt(key, dflt); }
    public float attrFloat(String key, float dflt) { return node.attrFloat(key, dflt); }
    public String attrString(String key, String dflt) { return node.attrString(key, dflt); }
    public long[] attrInts(String key, long[] dflt) { return node.attrInts(key, dflt); }

    /** All float inputs, or a one-line error naming the node. */
    public void requireFloat(int... inputs) {
        for (int i : inputs) {
            if (hasInput(i) && inTypes[i] != DType.FLOAT) throw fail("training supports float32 input " + i + ", got " + inTypes[i]);
        }
    }

    public EdgeoptException fail(String message) {
        return new EdgeoptException("node " + node.describe() + ": " + message);
    }

    public int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw fail("axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }

    static String shapeString(int[] s) { return Arrays.toString(s); }
}
