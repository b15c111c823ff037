package dev.edgeopt.engine;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.memory.Buffer;
import dev.edgeopt.memory.MemoryPlan;
import dev.edgeopt.memory.MemoryPlanner;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph specialized to concrete input shapes: constants folded, one prepared kernel per
 * remaining node, and every intermediate tensor a view into a planned arena (one per storage
 * kind). Built once per input-shape signature; {@link #execute} then allocates only the returned
 * output copies.
 */
public final class Plan {
    /** Arena storage kinds: dtypes that share a Java array type share an arena. */
    enum Store { F32, F64, I64, I32, I16, I8, BOOL }

    static Store storeOf(DType t) {
        return switch (t) {
            case FLOAT -> Store.F32;
            case DOUBLE -> Store.F64;
            case INT64, UINT64 -> Store.I64;
            case INT32, UINT32 -> Store.I32;
            case INT16, UINT16, FLOAT16, BFLOAT16 -> Store.I16;
            case INT8, UINT8 -> Store.I8;
            case BOOL -> Store.BOOL;
            case STRING -> null;
        };
    }

    static DType canonical(Store s) {
        return switch (s) {
            case F32 -> DType.FLOAT;
            case F64 -> DType.DOUBLE;
            case I64 -> DType.INT64;
            case I32 -> DType.INT32;
            case I16 -> DType.INT16;
            case I8 -> DType.INT8;
            case BOOL -> DType.BOOL;
        };
    }

    /** One kernel invocation. */
    public record Step(Node node, Kernel kernel, Tensor[] inputs, Tensor[] outputs, boolean skipped) {}

    private final Graph graph;
    private final List<Step> steps;
    private final List<Value> graphInputs;
    private final int[][] inputBindings; // {step, slot, graph input index}
    private final Tensor[] outputSources;
    private final Map<Store, MemoryPlan> memory;
    private final Scratch scratch;
    private final ShapeInference.Result types;

    private Plan(Graph graph, List<Step> steps, int[][] inputBindings, Tensor[] outputSources,
                 Map<Store, MemoryPlan> memory, Scratch scratch, ShapeInference.Result types) {
        this.graph = graph;
        this.steps = steps;
        this.graphInputs = graph.inputs();
        this.inputBindings = inputBindings;
        this.outputSources = outputSources;
        this.memory = memory;
        this.scratch = scratch;
        this.types = types;
    }

    public List<Step> steps() { return steps; }

    /** Types of every value under this plan's input shapes. */
    public ShapeInference.Result types() { return types; }

    /** Arena bytes over all storage kinds. */
    public long arenaBytes() {
        long b = 0;
        for (var e : memory.entrySet()) b += e.getValue().arenaSize() * canonical(e.getKey()).byteSize();
        return b;
    }

    public long scratchBytes() { return scratch.bytes(); }

    /** The memory plan of each arena, in elements of its storage kind. */
    public Map<String, MemoryPlan> memoryPlans() {
        Map<String, MemoryPlan> m = new LinkedHashMap<>();
        for (var e : memory.entrySet()) m.put(canonical(e.getKey()).shortName(), e.getValue());
        return m;
    }

    /**
     * Runs one inference. {@code inputs} are in graph-input order and already validated. Not
     * reentrant: one plan runs one inference at a time.
     *
     * @param stepNanos when non-null, receives each step's wall time (for profiles)
     */
    public synchronized Tensor[] execute(Tensor[] inputs, long[] stepNanos) {
        runSteps(inputs, stepNanos);
        Tensor[] out = new Tensor[outputSources.length];
        for (int i = 0; i < out.length; i++) out[i] = outputSource(i, inputs).copy();
        return out;
    }

    /** As {@link #execute}, copying the outputs into {@code outputs} instead of new tensors. */
    public synchronized void executeInto(Tensor[] inputs, Tensor[] outputs) {
        runSteps(inputs, null);
        for (int i = 0; i < outputSources.length; i++) outputSource(i, inputs).copyTo(outputs[i]);
    }

    private Tensor outputSource(int i, Tensor[] inputs) {
        Tensor src = outputSources[i];
        // null: the output is a graph input passed straight through.
        return src != null ? src : inputs[graphInputs.indexOf(graph.outputs().get(i))];
    }

    private void runSteps(Tensor[] inputs, long[] stepNanos) {
        for (int[] b : inputBindings) {
            Step s = steps.get(b[0]);
            s.inputs[b[1]] = inputs[b[2]];
        }
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.skipped) continue;
            if (stepNanos != null) {
                long t0 = System.nanoTime();
                s.kernel.run(s.inputs, s.outputs);
                stepNanos[i] += System.nanoTime() - t0;
            } else {
                s.kernel.run(s.inputs, s.outputs);
            }
        }
    }

    // ------------------------------------------------------------------ building

    /**
     * Builds a plan, or returns null when some intermediate shape depends on input data (the
     * executor then evaluates eagerly).
     */
    static Plan build(Graph g, Map<Value, TensorType> inputTypes, KernelRegistry kernels, ThreadPool pool) {
        ShapeInference.Options o = new ShapeInference.Options()
                .inputTypes(inputTypes)
                .fold(Executor.evaluator(kernels, pool), Long.MAX_VALUE)
                .mergeDeclared(false);
        ShapeInference.Result r = ShapeInference.run(g, o);

        List<Node> runtime = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean allConst = true;
            for (Value v : n.outputs()) if (!r.isConstant(v)) allConst = false;
            if (!allConst) runtime.add(n);
        }
        for (Node n : runtime) {
            for (Value v : n.outputs()) {
                TensorType t = r.type(v);
                if (t == null || !t.isStatic()) return null;
            }
        }

        // Step index of each runtime node; liveness in steps.
        Map<Value, Integer> defStep = new IdentityHashMap<>();
        Map<Value, Integer> lastUse = new IdentityHashMap<>();
        for (int s = 0; s < runtime.size(); s++) {
            Node n = runtime.get(s);
            for (Value v : n.inputs()) if (v != null) lastUse.put(v, s);
            for (Value v : n.outputs()) defStep.put(v, s);
        }
        int end = Math.max(0, runtime.size() - 1);
        for (Value v : g.outputs()) lastUse.put(v, end);

        // Views: output of a view op shares its input's buffer when that input lives in an arena.
        Map<Value, Value> root = new IdentityHashMap<>();
        java.util.Set<Node> viewNodes = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : runtime) {
            if (!kernels.isView(n) || n.input(0) == null) continue;
            Value in = n.input(0), out = n.output(0);
            if (!defStep.containsKey(in) || r.isConstant(in)) continue;
            if (r.type(in).dtype() != r.type(out).dtype() || r.type(in).dtype() == DType.STRING) continue;
            Value base = root.getOrDefault(in, in);
            root.put(out, base);
            viewNodes.add(n);
        }
        for (var e : root.entrySet()) {
            Value base = e.getValue();
            int lu = Math.max(lastUse.getOrDefault(base, defStep.get(base)), lastUse.getOrDefault(e.getKey(), defStep.get(e.getKey())));
            lastUse.put(base, lu);
        }

        // Plan one arena per storage kind.
        Map<Store, List<Buffer>> buffers = new EnumMap<>(Store.class);
        Map<Store, List<Value>> owners = new EnumMap<>(Store.class);
        for (Node n : runtime) {
            for (Value v : n.outputs()) {
                if (root.containsKey(v)) continue;
                TensorType t = r.type(v);
                Store st = storeOf(t.dtype());
                if (st == null) continue;
                long size = t.shape().numel();
                int first = defStep.get(v);
                int last = Math.max(first, lastUse.getOrDefault(v, first));
                buffers.computeIfAbsent(st, k -> new ArrayList<>()).add(new Buffer(v.name(), size, first, last));
                owners.computeIfAbsent(st, k -> new ArrayList<>()).add(v);
            }
        }
        Map<Store, MemoryPlan> memory = new EnumMap<>(Store.class);
        Map<Value, Tensor> slot = new IdentityHashMap<>();
        for (var e : buffers.entrySet()) {
            MemoryPlan mp = MemoryPlanner.standard().plan(e.getValue(), 16);
            memory.put(e.getKey(), mp);
            if (mp.arenaSize() > Integer.MAX_VALUE - 16) throw new EdgeoptException("the " + canonical(e.getKey()) + " arena needs " + mp.arenaSize() + " elements, more than a Java array holds");
            Object arena = Tensor.newArray(canonical(e.getKey()), (int) mp.arenaSize());
            List<Value> vs = owners.get(e.getKey());
            for (int i = 0; i < vs.size(); i++) {
                Value v = vs.get(i);
                TensorType t = r.type(v);
                slot.put(v, Tensor.view(t.dtype(), t.shape().toIntArray(), arena, (int) mp.offsets()[i]));
            }
        }
        for (Node n : runtime) {
            for (Value v : n.outputs()) {
                if (slot.containsKey(v) || root.containsKey(v)) continue;
                TensorType t = r.type(v); // strings: a dedicated array
                slot.put(v, Tensor.allocate(t.dtype(), t.shape().toIntArray()));
            }
        }
        for (var e : root.entrySet()) {
            Tensor base = slot.get(e.getValue());
            TensorType t = r.type(e.getKey());
            slot.put(e.getKey(), Tensor.view(t.dtype(), t.shape().toIntArray(), base.data(), base.offset()));
        }

        // Prepare kernels.
        Scratch scratch = new Scratch();
        List<Step> steps = new ArrayList<>();
        List<int[]> bindings = new ArrayList<>();
        List<Value> gin = g.inputs();
        for (int s = 0; s < runtime.size(); s++) {
            Node n = runtime.get(s);
            int ni = n.inputCount();
            TensorType[] inT = new TensorType[ni];
            Tensor[] consts = new Tensor[ni];
            Tensor[] ins = new Tensor[ni];
            for (int i = 0; i < ni; i++) {
                Value v = n.input(i);
                if (v == null) continue;
                inT[i] = r.type(v);
                consts[i] = r.value(v);
                if (consts[i] != null) ins[i] = consts[i];
                else if (slot.containsKey(v)) ins[i] = slot.get(v);
                else {
                    int gi = gin.indexOf(v);
                    if (gi < 0) throw new IllegalStateException("value " + v.name() + " has no source");
                    bindings.add(new int[] {s, i, gi});
                }
            }
            TensorType[] outT = new TensorType[n.outputCount()];
            Tensor[] outs = new Tensor[n.outputCount()];
            for (int i = 0; i < outT.length; i++) {
                outT[i] = r.type(n.output(i));
                outs[i] = slot.get(n.output(i));
            }
            boolean skip = viewNodes.contains(n);
            Kernel k = null;
            if (!skip) {
                scratch.nextKernel();
                k = kernels.require(n).create(new KernelContext(n, g.opset(), inT, outT, consts, pool, scratch));
            }
            steps.add(new Step(n, k, ins, outs, skip));
        }
        scratch.seal();

        Tensor[] outputSources = new Tensor[g.outputs().size()];
        for (int i = 0; i < outputSources.length; i++) {
            Value v = g.outputs().get(i);
            Tensor t = r.value(v);
            outputSources[i] = t != null ? t : slot.get(v);
        }
        return new Plan(g, steps, bindings.toArray(new int[0][]), outputSources, memory, scratch, r);
    }
}
