package dev.edgeopt.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Graphs here carry declared types and use op names only as the planner sees them (view, in-place
 * or opaque), so no schema is needed: the planner reads sizes, not semantics.
 */
class GraphMemoryTest {
    static TensorType f32(int n) { return TensorType.of(DType.FLOAT, 1, n); }

    static Value op(Graph g, String type, String name, int outElems, Value... ins) {
        Node n = g.addNode(type, name, List.of(ins), List.of(name));
        n.output(0).setType(f32(outElems));
        return n.output(0);
    }

    static GraphMemory.Result plan(Graph g, GraphMemory.Options o) {
        return GraphMemory.plan(g, Value::type, Value::isConstant, o);
    }

    @Test
    void inPlaceActivationReusesItsInputBuffer() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", f32(100));
        Value a = op(g, "Conv", "a", 1000, x);
        Value r = op(g, "Relu", "r", 1000, a);
        Value y = op(g, "Conv", "y", 10, r);
        g.addOutput(y);
        GraphMemory.Result off = plan(g, GraphMemory.Options.defaults().withInPlace(false));
        GraphMemory.Result on = plan(g, GraphMemory.Options.defaults());
        // Without in place, a and r are both live at the Relu: 4000 + 4000 bytes.
        assertEquals(8000, off.lowerBoundBytes());
        assertEquals(1, on.inPlaceCount());
        assertEquals(on.offsets().get(a), on.offsets().get(r));
        // With it: x + a at step 0 (4400), a=r at step 1 (4000), r + y at step 2 (4040).
        assertEquals(4400, on.lowerBoundBytes());
        assertEquals(on.lowerBoundBytes(), on.arenaBytes(), "greedy by size is exact on this chain up to alignment");
        assertEquals(List.of(4400L, 4000L, 4040L), boxed(on.profile()));
    }

    @Test
    void inPlaceNeverOverwritesALiveInputOrAGraphInput() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", f32(64));
        Value r1 = op(g, "Relu", "r1", 64, x); // x is a graph input: not overwritten
        Value a = op(g, "Conv", "a", 64, r1);
        Value r2 = op(g, "Relu", "r2", 64, a); // a is read again below: not overwritten
        Value s = op(g, "Add", "s", 64, a, r2); // a dies here: s may take a (or r2)
        g.addOutput(s);
        GraphMemory.Result p = plan(g, GraphMemory.Options.defaults());
        assertTrue(p.offsets().get(r1) != p.offsets().get(x) || !overlapsInTimeAndSpace(g, p, x, r1));
        assertNull(independentCollision(g, p));
        assertEquals(1, p.inPlaceCount());
    }

    @Test
    void viewsAliasTheirInput() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", f32(32));
        Value a = op(g, "Conv", "a", 48, x);
        Value v = op(g, "Reshape", "v", 48, a);
        Value y = op(g, "Gemm", "y", 8, v);
        g.addOutput(y);
        GraphMemory.Result p = plan(g, GraphMemory.Options.defaults());
        assertEquals(p.offsets().get(a), p.offsets().get(v));
        assertEquals(p.bufferOf().get(a), p.bufferOf().get(v));
    }

    @Test
    void orderSearchFinishesOneBranchBeforeTheNext() {
        Graph g = new Graph("branches");
        Value x = g.addInput("x", f32(25));
        Value a1 = op(g, "Conv", "a1", 1000, x);
        Value b1 = op(g, "Conv", "b1", 1000, x);
        Value a2 = op(g, "MaxPool", "a2", 25, a1);
        Value b2 = op(g, "MaxPool", "b2", 25, b1);
        Value c = op(g, "Concat", "c", 50, a2, b2);
        g.addOutput(c);
        GraphMemory.Result fixed = plan(g, GraphMemory.Options.defaults().withSearchOrder(false));
        GraphMemory.Result searched = plan(g, GraphMemory.Options.defaults());
        // Graph order keeps x, a1 and b1 live together: 100 + 4000 + 4000.
        assertEquals(8100, fixed.lowerBoundBytes());
        // Running a2 before b1 frees a1 first: x + a2 + b1 = 100 + 100 + 4000.
        assertEquals(4200, searched.lowerBoundBytes());
        assertEquals(List.of("a1", "a2", "b1", "b2", "c"), searched.order().stream().map(Node::name).toList());
        assertEquals(fixed.arenaBytes(), searched.graphOrderArena());
        assertTrue(searched.arenaBytes() < searched.graphOrderArena());
        assertTopological(g, searched.order());
    }

    @Test
    void randomGraphsNeverCollideAndStayNearTheLowerBound() {
        Random rnd = new Random(42);
        double worst = 0;
        for (int t = 0; t < 200; t++) {
            Graph g = randomGraph(rnd, 4 + rnd.nextInt(30));
            for (GraphMemory.Options o : List.of(GraphMemory.Options.defaults(), GraphMemory.Options.defaults().withInPlace(false).withSearchOrder(false))) {
                GraphMemory.Result p = plan(g, o);
                assertTopological(g, p.order());
                assertNull(p.plan().findCollision(), g.name());
                String col = independentCollision(g, p);
                if (col != null) {
                    StringBuilder sb = new StringBuilder(col + "\n");
                    for (Node n : p.order()) sb.append(n.opType() + " " + n.inputs().stream().map(Value::name).toList() + " -> " + n.output(0).name() + " " + n.output(0).type() + " @" + p.offsets().get(n.output(0)) + " " + p.bufferOf().get(n.output(0)) + "\n");
                    sb.append("outputs " + g.outputs());
                    throw new AssertionError(sb.toString());
                }
                assertTrue(p.arenaBytes() >= p.lowerBoundBytes());
                assertTrue(p.arenaBytes() <= p.graphOrderArena());
                worst = Math.max(worst, (double) p.arenaBytes() / p.lowerBoundBytes());
            }
        }
        // Random DAGs are harder than real networks (the 1.05 bar is checked on models); greedy by size still stays close.
        assertTrue(worst < 1.6, "worst arena / lower bound " + worst);
    }

    static Graph randomGraph(Random rnd, int nodes) {
        Graph g = new Graph("rand" + rnd.nextInt(1_000_000));
        List<Value> vals = new ArrayList<>();
        vals.add(g.addInput("x", f32(1 + rnd.nextInt(500))));
        String[] ops = {"Conv", "Relu", "Add", "Reshape", "MaxPool", "Concat"};
        for (int i = 0; i < nodes; i++) {
            String type = ops[rnd.nextInt(ops.length)];
            Value in0 = vals.get(vals.size() - 1 - rnd.nextInt(Math.min(vals.size(), 4)));
            int size = (int) (in0.type().shape().numel());
            Value out;
            switch (type) {
                case "Relu", "Reshape" -> out = op(g, type, "n" + i, size, in0);
                case "Add" -> {
                    Value in1 = vals.get(rnd.nextInt(vals.size()));
                    out = in1.type().shape().numel() == size ? op(g, type, "n" + i, size, in0, in1) : op(g, "Relu", "n" + i, size, in0);
                }
                case "Concat" -> {
                    Value in1 = vals.get(rnd.nextInt(vals.size()));
                    out = op(g, type, "n" + i, size + (int) in1.type().shape().numel(), in0, in1);
                }
                default -> out = op(g, type, "n" + i, 1 + rnd.nextInt(1000), in0);
            }
            vals.add(out);
        }
        g.addOutput(vals.get(vals.size() - 1));
        if (rnd.nextBoolean()) g.addOutput(vals.get(vals.size() / 2));
        return g;
    }

    static void assertTopological(Graph g, List<Node> order) {
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : order) {
            for (Value v : n.inputs()) if (v != null && v.producer() != null) assertTrue(seen.contains(v.producer()), n.name() + " before its input " + v.name());
            assertTrue(seen.add(n), n.name() + " twice");
        }
        assertEquals(g.nodes().size(), order.size());
    }

    /**
     * Recomputes every tensor's lifetime from the chosen order (without the planner's merging) and
     * checks: tensors in different buffers that are live at the same step do not share bytes; and
     * inside one buffer, a tensor written there (any member that is not a view) never overwrites a
     * member that is still to be read, except the input its own elementwise op is consuming.
     */
    static String independentCollision(Graph g, GraphMemory.Result p) {
        Map<Value, int[]> life = new IdentityHashMap<>();
        for (Value v : g.inputs()) life.put(v, new int[] {-1, 0}); // written before step 0
        for (int s = 0; s < p.order().size(); s++) {
            Node n = p.order().get(s);
            for (Value v : n.inputs()) if (v != null && life.containsKey(v)) life.get(v)[1] = Math.max(life.get(v)[1], s);
            for (Value v : n.outputs()) life.put(v, new int[] {s, s});
        }
        for (Value v : g.outputs()) life.get(v)[1] = p.order().size() - 1;
        List<Value> vs = new ArrayList<>(life.keySet());
        for (int i = 0; i < vs.size(); i++) {
            for (int j = i + 1; j < vs.size(); j++) {
                Value a = vs.get(i), b = vs.get(j);
                int[] la = life.get(a), lb = life.get(b);
                if (Math.max(0, la[0]) > lb[1] || Math.max(0, lb[0]) > la[1]) continue;
                if (!overlapsInSpace(p, a, b)) continue;
                if (!p.bufferOf().get(a).equals(p.bufferOf().get(b))) return a.name() + " and " + b.name() + " overlap";
            }
        }
        for (Value w : vs) {
            Node prod = w.producer();
            if (prod != null && GraphMemory.VIEW_OPS.contains(prod.opType())) continue;
            for (Value v : vs) {
                if (v == w || !p.bufferOf().get(v).equals(p.bufferOf().get(w))) continue;
                int dw = life.get(w)[0];
                if (life.get(v)[0] >= dw) continue;
                int lv = life.get(v)[1];
                if (lv > dw || (lv == dw && (prod == null || !prod.inputs().contains(v)))) {
                    return w.name() + " overwrites " + v.name() + " which is still read";
                }
            }
        }
        return null;
    }

    static boolean overlapsInSpace(GraphMemory.Result p, Value a, Value b) {
        long oa = p.offsets().get(a), ob = p.offsets().get(b);
        long sa = GraphMemory.bytes(Value::type, a), sb = GraphMemory.bytes(Value::type, b);
        return sa > 0 && sb > 0 && oa < ob + sb && ob < oa + sa;
    }

    static boolean overlapsInTimeAndSpace(Graph g, GraphMemory.Result p, Value a, Value b) { return overlapsInSpace(p, a, b); }

    static List<Long> boxed(long[] a) {
        List<Long> l = new ArrayList<>();
        for (long x : a) l.add(x);
        return l;
    }
}
