package dev.edgeopt.memory;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Plans the activation memory of a whole graph in bytes: the static arena of generated C and the
 * peak RAM of the device analysis.
 *
 * <p>Steps:
 * <ol>
 *   <li>Runtime nodes are those with a non-constant output; tensors are their outputs (and the graph
 *       inputs, which the caller writes into the arena).</li>
 *   <li>View ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity) alias their input's buffer.</li>
 *   <li>In place: an elementwise op whose same-sized input dies at that op writes over the input.
 *       Inputs of the graph are never overwritten (the caller may still hold them) and outputs of
 *       the graph are never the victims.</li>
 *   <li>Execution order: the graph's own order, a greedy order that at each step runs the ready
 *       node that frees most and allocates least, and a depth-first order that finishes one branch
 *       before starting the next; each is planned and the smallest arena wins (ties keep the
 *       graph's order), so the search never does worse than the graph's order.</li>
 *   <li>Placement: {@link MemoryPlanner#standard()} (best of several greedy placements) over the merged lifetimes.</li>
 * </ol>
 */
public final class GraphMemory {
    private GraphMemory() {}

    /** Ops whose output is input 0's bytes in the same order: the output shares the input's buffer. */
    public static final Set<String> VIEW_OPS = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity");

    /**
     * Elementwise ops where {@code out[i]} depends only on {@code in[i]} (and on broadcast operands
     * read at the same or an earlier index), so writing over a dying input is safe. BatchNormalization
     * in inference is a per-channel affine map.
     */
    public static final Set<String> IN_PLACE_OPS = Set.of(
            "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus",
            "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Erf", "Gelu", "PRelu",
            "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "BatchNormalization");

    /**
     * @param viewOps ops whose output aliases input 0 when both have the same byte size; callers
     *     costing a deployed QDQ graph add QuantizeLinear and DequantizeLinear, which vanish into
     *     integer kernels
     */
    public record Options(boolean inPlace, boolean searchOrder, boolean includeInputs, long alignment, Set<String> viewOps) {
        public static Options defaults() { return new Options(true, true, true, 16, VIEW_OPS); }

        public Options withInPlace(boolean b) { return new Options(b, searchOrder, includeInputs, alignment, viewOps); }

        public Options withSearchOrder(boolean b) { return new Options(inPlace, b, includeInputs, alignment, viewOps); }

        public Options withViewOps(Set<String> ops) { return new Options(inPlace, searchOrder, includeInputs, alignment, Set.copyOf(ops)); }
    }

    /**
     * A planned graph.
     *
     * @param order runtime nodes in the chosen execution order (step i runs order.get(i))
     * @param plan buffers in bytes, their offsets and the arena size
     * @param offsets byte offset of every runtime tensor (views and in-place outputs share their root's)
     * @param orderName which candidate order won ("graph", "greedy" or "depth-first")
     * @param graphOrderArena the arena the graph's own order needs, for reporting what the search saved
     */
    public record Result(List<Node> order, MemoryPlan plan, Map<Value, Long> offsets, Map<Value, String> bufferOf,
                         String orderName, long graphOrderArena, int inPlaceCount) {
        public long arenaBytes() { return plan.arenaSize(); }

        /** Max total bytes live at one step: no placement for this order and these merges does better. */
        public long lowerBoundBytes() { return plan.lowerBound(); }

        /** Live bytes at each step of {@link #order}. */
        public long[] profile() {
            long[] p = plan.liveProfile();
            return p.length >= order.size() ? p : java.util.Arrays.copyOf(p, order.size());
        }
    }

    public static Result plan(Graph g, ShapeInference.Result types, Options o) {
        return plan(g, types::type, v -> v.isConstant() || types.isConstant(v), o);
    }

    /**
     * @param typeOf static type of each value (null for values the analysis cannot size)
     * @param isConstant values that live in flash or in the constant pool, not in the arena
     */
    public static Result plan(Graph g, Function<Value, TensorType> typeOf, Predicate<Value> isConstant, Options o) {
        List<Node> runtime = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean allConst = true;
            for (Value v : n.outputs()) if (!v.name().isEmpty() && !isConstant.test(v)) allConst = false;
            if (!allConst) runtime.add(n);
        }
        Result best = planOrder(g, runtime, "graph", typeOf, isConstant, o, -1);
        long graphArena = best.arenaBytes();
        if (o.searchOrder() && runtime.size() > 2) {
            for (var cand : List.of(Map.entry("greedy", greedyOrder(g, runtime, typeOf, isConstant)),
                    Map.entry("depth-first", depthFirstOrder(g, runtime, typeOf)))) {
                Result r = planOrder(g, cand.getValue(), cand.getKey(), typeOf, isConstant, o, graphArena);
                if (r.arenaBytes() < best.arenaBytes()) best = r;
            }
        }
        return new Result(best.order(), best.plan(), best.offsets(), best.bufferOf(), best.orderName(), graphArena, best.inPlaceCount());
    }

    static long bytes(Function<Value, TensorType> typeOf, Value v) {
        TensorType t = typeOf.apply(v);
        if (t == null || !t.isStatic() || t.dtype() == DType.STRING) return 0;
        return t.byteSize();
    }

    private static Result planOrder(Graph g, List<Node> order, String name, Function<Value, TensorType> typeOf,
                                    Predicate<Value> isConstant, Options o, long graphArena) {
        Map<Value, Integer> def = new IdentityHashMap<>();
        Map<Value, Integer> last = new IdentityHashMap<>();
        if (o.includeInputs()) for (Value v : g.inputs()) if (!isConstant.test(v)) def.put(v, 0);
        for (int s = 0; s < order.size(); s++) {
            Node n = order.get(s);
            for (Value v : n.inputs()) if (v != null && !isConstant.test(v)) last.merge(v, s, Math::max);
            for (Value v : n.outputs()) if (!v.name().isEmpty() && !isConstant.test(v)) def.put(v, s);
        }
        int end = Math.max(0, order.size() - 1);
        for (Value v : g.outputs()) if (def.containsKey(v)) last.put(v, end);

        // Union views and in-place outputs into their root's buffer.
        Map<Value, Value> root = new IdentityHashMap<>();
        int inPlace = 0;
        for (int s = 0; s < order.size(); s++) {
            Node n = order.get(s);
            if (n.outputCount() == 0) continue;
            Value out = n.output(0);
            if (!def.containsKey(out)) continue;
            if (o.viewOps().contains(n.opType()) && n.input(0) != null && def.containsKey(n.input(0))
                    && bytes(typeOf, n.input(0)) == bytes(typeOf, out)) {
                root.put(out, find(root, n.input(0)));
                continue;
            }
            if (o.inPlace() && IN_PLACE_OPS.contains(n.opType()) && n.outputCount() == 1) {
                TensorType ot = typeOf.apply(out);
                for (Value in : n.inputs()) {
                    if (in == null || !def.containsKey(in)) continue;
                    Value r = find(root, in);
                    TensorType it = typeOf.apply(in);
                    if (it == null || ot == null || it.dtype() != ot.dtype() || bytes(typeOf, in) != bytes(typeOf, out)) continue;
                    if (g.isGraphInput(r) || groupDiesAfter(g, root, last, r, s, def)) continue;
                    root.put(out, r);
                    inPlace++;
                    break;
                }
            }
        }

        // One buffer per root, living from the root's definition to the last use of any member.
        Map<Value, int[]> span = new LinkedHashMap<>();
        List<Value> members = new ArrayList<>(def.keySet());
        members.sort((a, b) -> Integer.compare(def.get(a), def.get(b)));
        for (Value v : members) {
            Value r = find(root, v);
            int first = def.get(v), lu = Math.max(first, last.getOrDefault(v, first));
            span.merge(r, new int[] {first, lu}, (x, y) -> new int[] {Math.min(x[0], y[0]), Math.max(x[1], y[1])});
        }
        List<Buffer> buffers = new ArrayList<>();
        List<Value> roots = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        for (var e : span.entrySet()) {
            Value r = e.getKey();
            String bn = r.name();
            int k = names.merge(bn, 1, Integer::sum);
            if (k > 1) bn = bn + "#" + k;
            buffers.add(new Buffer(bn, bytes(typeOf, r), e.getValue()[0], e.getValue()[1]));
            roots.add(r);
        }
        MemoryPlan mp = MemoryPlanner.standard().plan(buffers, o.alignment());
        Map<Value, Long> rootOffset = new IdentityHashMap<>();
        Map<Value, String> rootName = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) {
            rootOffset.put(roots.get(i), mp.offsets()[i]);
            rootName.put(roots.get(i), buffers.get(i).name());
        }
        Map<Value, Long> offsets = new LinkedHashMap<>();
        Map<Value, String> bufferOf = new LinkedHashMap<>();
        for (Value v : members) {
            Value r = find(root, v);
            offsets.put(v, rootOffset.get(r));
            bufferOf.put(v, rootName.get(r));
        }
        return new Result(List.copyOf(order), mp, offsets, bufferOf, name, graphArena < 0 ? mp.arenaSize() : graphArena, inPlace);
    }

    /** True when some member of {@code r}'s group is still read after step {@code s} (or is a graph output). */
    private static boolean groupDiesAfter(Graph g, Map<Value, Value> root, Map<Value, Integer> last, Value r, int s, Map<Value, Integer> def) {
        for (Value v : def.keySet()) {
            if (find(root, v) != r) continue;
            if (last.getOrDefault(v, def.get(v)) > s || g.isGraphOutput(v)) return true;
        }
        return false;
    }

    private static Value find(Map<Value, Value> root, Value v) {
        Value r = v;
        while (root.containsKey(r)) r = root.get(r);
        return r;
    }

    // ------------------------------------------------------------------ order search

    /** Producers of each runtime node among the runtime nodes. */
    private static Map<Node, List<Node>> preds(List<Node> runtime) {
        Set<Node> in = Collections.newSetFromMap(new IdentityHashMap<>());
        in.addAll(runtime);
        Map<Node, List<Node>> p = new IdentityHashMap<>();
        for (Node n : runtime) {
            List<Node> l = new ArrayList<>();
            for (Value v : n.inputs()) if (v != null && v.producer() != null && in.contains(v.producer()) && !l.contains(v.producer())) l.add(v.producer());
            p.put(n, l);
        }
        return p;
    }

    /**
     * At each step runs the ready node with the smallest (bytes allocated - bytes freed); ties go to
     * the graph's order. Memory-greedy orders of this kind are what TFLite's and TVM's planners use
     * as a cheap stand-in for the exact (exponential) search.
     */
    static List<Node> greedyOrder(Graph g, List<Node> runtime, Function<Value, TensorType> typeOf, Predicate<Value> isConstant) {
        Map<Node, List<Node>> preds = preds(runtime);
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < runtime.size(); i++) index.put(runtime.get(i), i);
        Map<Value, Integer> remainingUses = new IdentityHashMap<>();
        for (Node n : runtime) for (Value v : n.inputs()) if (v != null && !isConstant.test(v)) remainingUses.merge(v, 1, Integer::sum);
        Map<Node, Integer> waiting = new IdentityHashMap<>();
        List<Node> ready = new ArrayList<>();
        for (Node n : runtime) {
            waiting.put(n, preds.get(n).size());
            if (preds.get(n).isEmpty()) ready.add(n);
        }
        Map<Node, List<Node>> succ = new IdentityHashMap<>();
        for (Node n : runtime) for (Node p : preds.get(n)) succ.computeIfAbsent(p, k -> new ArrayList<>()).add(n);
        List<Node> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            Node best = null;
            long bestScore = Long.MAX_VALUE;
            for (Node n : ready) {
                long score = 0;
                for (Value v : n.outputs()) if (!v.name().isEmpty()) score += bytes(typeOf, v);
                Map<Value, Integer> uses = new IdentityHashMap<>();
                for (Value v : n.inputs()) if (v != null && !isConstant.test(v)) uses.merge(v, 1, Integer::sum);
                for (var e : uses.entrySet()) {
                    if (remainingUses.getOrDefault(e.getKey(), 0) == e.getValue() && !g.isGraphOutput(e.getKey())) score -= bytes(typeOf, e.getKey());
                }
                if (score < bestScore || (score == bestScore && index.get(n) < index.get(best))) {
                    best = n;
                    bestScore = score;
                }
            }
            ready.remove(best);
            order.add(best);
            for (Value v : best.inputs()) if (v != null && !isConstant.test(v)) remainingUses.merge(v, -1, Integer::sum);
            for (Node s : succ.getOrDefault(best, List.of())) {
                if (waiting.merge(s, -1, Integer::sum) == 0) ready.add(s);
            }
        }
        return order.size() == runtime.size() ? order : runtime;
    }

    /**
     * Post-order from the graph outputs, visiting the producer of the largest input first so that a
     * branch's big intermediates die before the next branch starts.
     */
    static List<Node> depthFirstOrder(Graph g, List<Node> runtime, Function<Value, TensorType> typeOf) {
        Set<Node> in = Collections.newSetFromMap(new IdentityHashMap<>());
        in.addAll(runtime);
        Set<Node> done = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node> order = new ArrayList<>();
        List<Node> sinks = new ArrayList<>();
        for (Value v : g.outputs()) if (v.producer() != null && in.contains(v.producer())) sinks.add(v.producer());
        for (Node n : runtime) sinks.add(n); // nodes not reaching an output still run, in graph order
        for (Node s : sinks) {
            if (done.contains(s)) continue;
            // Iterative post-order DFS.
            ArrayDeque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[] {s, Boolean.FALSE});
            while (!stack.isEmpty()) {
                Object[] top = stack.pop();
                Node n = (Node) top[0];
                if (done.contains(n)) continue;
                if ((Boolean) top[1]) {
                    done.add(n);
                    order.add(n);
                    continue;
                }
                stack.push(new Object[] {n, Boolean.TRUE});
                List<Value> ins = new ArrayList<>();
                for (Value v : n.inputs()) if (v != null && v.producer() != null && in.contains(v.producer()) && !done.contains(v.producer())) ins.add(v);
                // Pushed last = visited first: sort ascending so the largest input's branch runs first.
                ins.sort((a, b) -> Long.compare(bytes(typeOf, a), bytes(typeOf, b)));
                for (Value v : ins) stack.push(new Object[] {v.producer(), Boolean.FALSE});
            }
        }
        return order.size() == runtime.size() ? order : runtime;
    }
}
