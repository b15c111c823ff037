package dev.edgeopt.engine;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a graph in the Java engine. The graph runs as given: no hidden rewrites, so what is measured
 * is what is exported (apply passes first for a faster graph).
 *
 * <p>The first run with a given set of input shapes builds a {@link Plan}; later runs with the same
 * shapes reuse it. Graphs whose intermediate shapes depend on input data run eagerly instead.
 */
public final class Executor implements AutoCloseable {
    private final Graph graph;
    private final ThreadPool pool;
    private final KernelRegistry kernels;
    private final Map<String, Plan> plans = new LinkedHashMap<>(4, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, Plan> e) { return size() > 4; }
    };
    private final Map<String, Boolean> dynamicShapes = new java.util.HashMap<>();
    // Views taken once: Graph.inputs()/outputs() wrap the lists on every call, an allocation per
    // inference wherever C2 does not inline them into runInto.
    private final List<Value> graphInputs, graphOutputs;

    public Executor(Graph graph, int threads) { this(graph, ThreadPool.shared(threads), KernelRegistry.standard()); }

    public Executor(Graph graph) { this(graph, 1); }

    public Executor(Graph graph, ThreadPool pool, KernelRegistry kernels) {
        this.graph = graph;
        this.pool = pool;
        this.kernels = kernels;
        this.graphInputs = graph.inputs();
        this.graphOutputs = graph.outputs();
        for (Node n : graph.nodes()) kernels.require(n);
    }

    public Graph graph() { return graph; }

    public ThreadPool pool() { return pool; }

    /** Runs one inference with inputs by name; returns outputs by name in graph order. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Tensor[] in = new Tensor[graph.inputs().size()];
        for (int i = 0; i < in.length; i++) {
            Value v = graph.inputs().get(i);
            Tensor t = inputs.get(v.name());
            if (t == null) throw new EdgeoptException("missing input '" + v.name() + "' (" + v.type() + ")");
            in[i] = t;
        }
        for (String k : inputs.keySet()) {
            if (graph.value(k) == null || !graph.isGraphInput(graph.value(k))) {
                throw new EdgeoptException("'" + k + "' is not an input of the model; inputs are " + inputNames());
            }
        }
        Tensor[] out = run(in);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < out.length; i++) m.put(graph.outputs().get(i).name(), out[i]);
        return m;
    }

    /** Runs one inference with inputs in graph-input order; returns outputs in graph-output order. */
    public Tensor[] run(Tensor... inputs) { return run(inputs, null); }

    /** As {@link #run(Tensor...)}, adding each planned step's time into {@code stepNanos} when given. */
    public Tensor[] run(Tensor[] inputs, long[] stepNanos) {
        validate(inputs);
        Plan p = planFor(inputs);
        return p != null ? p.execute(inputs, stepNanos) : runEager(inputs);
    }

    /**
     * Runs one inference and copies the outputs into {@code outputs} (graph-output order, each of
     * the output's dtype and size). A repeated run with the same input shapes allocates nothing:
     * the plan is found without building its signature, and no output tensor is created
     * ({@code ModelAllocationTest} in edgeopt-onnx checks this on whole models).
     */
    public void runInto(Tensor[] inputs, Tensor[] outputs) {
        validate(inputs);
        if (outputs.length != graphOutputs.size()) {
            throw new EdgeoptException("the model has " + graphOutputs.size() + " output(s), got " + outputs.length + " output tensors");
        }
        Plan p = planFor(inputs);
        if (p != null) {
            p.executeInto(inputs, outputs);
            return;
        }
        Tensor[] out = runEager(inputs);
        for (int i = 0; i < out.length; i++) out[i].copyTo(outputs[i]);
    }

    // The last plan used and its input types, so that runs with unchanged shapes skip the signature string.
    private Plan lastPlan;
    private DType[] lastTypes;
    private int[][] lastDims;

    /** The plan for these inputs' shapes (built on first use), or null when they run eagerly. */
    private Plan planFor(Tensor[] inputs) {
        synchronized (plans) {
            if (lastPlan != null && sameTypes(inputs)) return lastPlan;
            String key = signature(inputs);
            Plan p = plans.get(key);
            if (p == null && !dynamicShapes.containsKey(key)) {
                p = Plan.build(graph, concreteTypes(inputs), kernels, pool);
                if (p == null) dynamicShapes.put(key, true);
                else plans.put(key, p);
            }
            lastPlan = p;
            if (p != null) {
                lastTypes = new DType[inputs.length];
                lastDims = new int[inputs.length][];
                for (int i = 0; i < inputs.length; i++) {
                    lastTypes[i] = inputs[i].dtype();
                    lastDims[i] = inputs[i].dims().clone();
                }
            }
            return p;
        }
    }

    private boolean sameTypes(Tensor[] inputs) {
        if (inputs.length != lastTypes.length) return false;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != lastTypes[i] || !Arrays.equals(inputs[i].dims(), lastDims[i])) return false;
        }
        return true;
    }

    /** The plan for these input shapes (building it if needed), or null when shapes depend on data. */
    public Plan plan(Map<String, int[]> shapes) {
        Tensor[] fake = new Tensor[graph.inputs().size()];
        Map<Value, TensorType> types = new IdentityHashMap<>();
        for (int i = 0; i < fake.length; i++) {
            Value v = graph.inputs().get(i);
            int[] s = shapes.get(v.name());
            if (s == null) s = staticShapeOf(v);
            types.put(v, TensorType.of(v.dtype(), s));
        }
        String key = signatureOf(types);
        synchronized (plans) {
            Plan p = plans.get(key);
            if (p == null && !dynamicShapes.containsKey(key)) {
                p = Plan.build(graph, types, kernels, pool);
                if (p == null) dynamicShapes.put(key, true); else plans.put(key, p);
            }
            return p;
        }
    }

    private static int[] staticShapeOf(Value v) {
        Shape s = v.shape();
        if (s == null || !s.isStatic()) {
            throw new EdgeoptException("input '" + v.name() + "' has shape " + (s == null ? "?" : s) + "; give a concrete shape");
        }
        return s.toIntArray();
    }

    private Tensor[] runEager(Tensor[] inputs) {
        Map<Value, TensorType> types = concreteTypes(inputs);
        Map<Value, Tensor> values = new IdentityHashMap<>();
        for (int i = 0; i < inputs.length; i++) values.put(graph.inputs().get(i), inputs[i]);
        ShapeInference.Result r = ShapeInference.run(graph, new ShapeInference.Options()
                .inputTypes(types).inputValues(values).fold(evaluator(kernels, pool), Long.MAX_VALUE).mergeDeclared(false));
        Tensor[] out = new Tensor[graph.outputs().size()];
        for (int i = 0; i < out.length; i++) {
            Tensor t = r.value(graph.outputs().get(i));
            if (t == null) throw new EdgeoptException("output '" + graph.outputs().get(i).name() + "' could not be computed");
            out[i] = t.copy();
        }
        return out;
    }

    private void validate(Tensor[] inputs) {
        List<Value> gin = graphInputs;
        if (inputs.length != gin.size()) {
            throw new EdgeoptException("the model takes " + gin.size() + " input(s) " + inputNames() + ", got " + inputs.length);
        }
        for (int i = 0; i < inputs.length; i++) {
            Value v = gin.get(i);
            Tensor t = inputs[i];
            if (t == null) throw new EdgeoptException("missing input '" + v.name() + "'");
            TensorType want = v.type();
            if (want != null && !accepts(want, t)) throw new EdgeoptException("input '" + v.name() + "': expected " + want + ", got " + t.type());
        }
    }

    /**
     * Whether a tensor can feed a graph input of type {@code want}: same dtype and rank, equal
     * static dims, and each symbolic dim bound to one size within the tensor.
     */
    public static boolean accepts(TensorType want, Tensor t) {
        if (want.dtype() != t.dtype()) return false;
        Shape s = want.shape();
        if (s == null) return true;
        if (s.rank() != t.rank()) return false;
        for (int d = 0; d < s.rank(); d++) {
            Dim dim = s.dim(d);
            if (dim.isKnown()) {
                if (dim.value() != t.dim(d)) return false;
            } else if (dim.symbol() != null) {
                // Earlier dims with the same symbol must have the same size (a pairwise scan: no map per run).
                for (int e = 0; e < d; e++) {
                    if (dim.symbol().equals(s.dim(e).symbol()) && t.dim(e) != t.dim(d)) return false;
                }
            }
        }
        return true;
    }

    private Map<Value, TensorType> concreteTypes(Tensor[] inputs) {
        Map<Value, TensorType> m = new IdentityHashMap<>();
        for (int i = 0; i < inputs.length; i++) m.put(graph.inputs().get(i), inputs[i].type());
        return m;
    }

    private static String signature(Tensor[] inputs) {
        StringBuilder b = new StringBuilder();
        for (Tensor t : inputs) b.append(t.dtype()).append(Arrays.toString(t.dims())).append(';');
        return b.toString();
    }

    private String signatureOf(Map<Value, TensorType> types) {
        StringBuilder b = new StringBuilder();
        for (Value v : graph.inputs()) {
            TensorType t = types.get(v);
            b.append(t.dtype()).append(Arrays.toString(t.shape().toIntArray())).append(';');
        }
        return b.toString();
    }

    private String inputNames() {
        return graph.inputs().stream().map(Value::name).toList().toString();
    }

    /**
     * Evaluates single nodes on known inputs with the engine's kernels: constant folding at plan
     * time, eager execution, and shape arithmetic during import all use it.
     */
    public static ShapeInference.Evaluator evaluator(KernelRegistry kernels, ThreadPool pool) {
        return (node, inputs, outTypes, opset) -> {
            TensorType[] inT = new TensorType[inputs.length];
            for (int i = 0; i < inputs.length; i++) inT[i] = inputs[i] == null ? null : inputs[i].type();
            Tensor[] outs = new Tensor[outTypes.length];
            for (int i = 0; i < outs.length; i++) {
                TensorType t = outTypes[i];
                if (t == null) continue;
                if (!t.isStatic()) {
                    throw new EdgeoptException("node " + node.describe() + ": output shape " + t + " is unknown even with all inputs known");
                }
                outs[i] = Tensor.allocate(t.dtype(), t.shape().toIntArray());
            }
            Scratch scratch = new Scratch();
            Kernel k = kernels.require(node).create(new KernelContext(node, opset, inT, outTypes, inputs, pool, scratch));
            scratch.seal();
            k.run(inputs, outs);
            return outs;
        };
    }

    /** The standard evaluator on one thread. */
    public static ShapeInference.Evaluator evaluator() {
        return evaluator(KernelRegistry.standard(), ThreadPool.shared(1));
    }

    @Override public void close() {
        synchronized (plans) { plans.clear(); }
    }
}
