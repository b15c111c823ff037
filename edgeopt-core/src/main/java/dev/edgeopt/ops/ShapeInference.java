package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.GraphVerifier;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every schema over a graph in order, producing a type for each value and, where the graph
 * allows, constant values (through an {@link Evaluator}) and symbolic shape contents.
 *
 * <p>One mechanism serves three callers: import annotates types, the verifier compares declared and
 * inferred types, and the engine specializes a graph to concrete input shapes and folds everything
 * that does not depend on the inputs.
 */
public final class ShapeInference {
    private ShapeInference() {}

    /** Computes a node's outputs from constant inputs (the engine supplies one). */
    @FunctionalInterface
    public interface Evaluator {
        Tensor[] evaluate(Node node, Tensor[] inputs, TensorType[] outputTypes, int opset);
    }

    /** What inference learned: a type per value, values of constants, symbolic contents of shape tensors. */
    public static final class Result {
        public final Map<Value, TensorType> types = new IdentityHashMap<>();
        public final Map<Value, Tensor> values = new IdentityHashMap<>();
        public final Map<Value, Dim[]> shapeValues = new IdentityHashMap<>();

        public TensorType type(Value v) { return types.get(v); }

        public Tensor value(Value v) { return values.get(v); }

        public boolean isConstant(Value v) { return values.containsKey(v); }
    }

    /** Options for {@link #run}. */
    public static final class Options {
        Map<Value, TensorType> inputTypes = Map.of();
        Map<Value, Tensor> inputValues = Map.of();
        Evaluator evaluator;
        long foldLimit = 0;
        boolean mergeDeclared = true;
        OpRegistry registry = OpRegistry.standard();

        /** Concrete types for graph inputs, overriding the declared ones (e.g. a batch size). */
        public Options inputTypes(Map<Value, TensorType> m) { inputTypes = m; return this; }

        /** Known values for graph inputs (eager evaluation treats every input as known). */
        public Options inputValues(Map<Value, Tensor> m) { inputValues = m; return this; }

        /**
         * Folds nodes whose inputs are all known and whose outputs have at most {@code limit}
         * elements ({@code Long.MAX_VALUE}: fold everything foldable).
         */
        public Options fold(Evaluator ev, long limit) { evaluator = ev; foldLimit = limit; return this; }

        /** Whether declared value types fill in dims that inference leaves unknown (default true). */
        public Options mergeDeclared(boolean b) { mergeDeclared = b; return this; }

        public Options registry(OpRegistry r) { registry = r; return this; }
    }

    /** Ops whose outputs are never folded: they are random, or folding them hides the graph's meaning. */
    private static final java.util.Set<String> NOT_FOLDABLE = java.util.Set.of(
            "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli");

    public static Result run(Graph g, Options o) {
        Result r = new Result();
        int opset = g.opset();
        for (Value v : g.values().values()) {
            if (v.isConstant()) {
                r.types.put(v, v.constant().type());
                r.values.put(v, v.constant());
            }
        }
        for (Value v : g.inputs()) {
            TensorType t = o.inputTypes.getOrDefault(v, v.type());
            if (t == null) throw new EdgeoptException("graph input '" + v.name() + "' has no type");
            r.types.put(v, t);
            Tensor known = o.inputValues.get(v);
            if (known != null) r.values.put(v, known);
        }
        for (Node n : g.nodes()) inferNode(n, opset, r, o);
        return r;
    }

    private static void inferNode(Node n, int opset, Result r, Options o) {
        OpSchema schema = o.registry.require(n);
        int ni = n.inputCount();
        TensorType[] inTypes = new TensorType[ni];
        Tensor[] inValues = new Tensor[ni];
        Dim[][] inShapeValues = new Dim[ni][];
        boolean allKnown = true;
        for (int i = 0; i < ni; i++) {
            Value v = n.input(i);
            if (v == null) continue;
            inTypes[i] = r.types.get(v);
            if (inTypes[i] == null) {
                throw new EdgeoptException("node " + n.describe() + ": input '" + v.name() + "' has no known type");
            }
            inValues[i] = r.values.get(v);
            inShapeValues[i] = r.shapeValues.get(v);
            if (inValues[i] == null) allKnown = false;
        }
        InferContext ctx = new InferContext(n, opset, inTypes, inValues, inShapeValues);
        List<TensorType> outs;
        try {
            outs = schema.infer(ctx);
        } catch (EdgeoptException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EdgeoptException("node " + n.describe() + ": shape inference failed: " + e.getMessage(), e);
        }
        if (outs.size() < n.outputCount()) {
            // Optional trailing outputs the schema does not describe (e.g. Dropout's mask) stay untyped.
            for (int i = outs.size(); i < n.outputCount(); i++) {
                if (!n.output(i).name().isEmpty() && !r.types.containsKey(n.output(i)) && n.output(i).type() == null) {
                    throw new EdgeoptException("node " + n.describe() + ": output " + i + " is not produced by this op");
                }
            }
        }
        TensorType[] outTypes = new TensorType[n.outputCount()];
        for (int i = 0; i < n.outputCount(); i++) {
            Value v = n.output(i);
            TensorType t = i < outs.size() ? outs.get(i) : v.type();
            if (o.mergeDeclared && v.type() != null && t != null) t = merge(n, v, v.type(), t);
            outTypes[i] = t;
            r.types.put(v, t);
            Dim[] sv = ctx.outputShapeValue(i);
            if (sv != null) r.shapeValues.put(v, sv);
        }
        if (allKnown && o.evaluator != null && !NOT_FOLDABLE.contains(n.opType()) && foldable(outTypes, o.foldLimit)) {
            Tensor[] vals = o.evaluator.evaluate(n, inValues, outTypes, opset);
            for (int i = 0; i < vals.length && i < n.outputCount(); i++) {
                if (vals[i] == null) continue;
                r.values.put(n.output(i), vals[i]);
                r.types.put(n.output(i), vals[i].type());
            }
        } else if (o.evaluator != null) {
            foldShapeValues(n, ctx, outTypes, r, o.foldLimit);
        }
    }

    /**
     * Shape of a statically shaped input is a constant even though the input's data is not: an
     * integer output whose symbolic contents are all known numbers becomes a known value, so the
     * Shape/Gather/Concat/Reshape arithmetic of exported models folds away when a plan is built.
     */
    private static void foldShapeValues(Node n, InferContext ctx, TensorType[] outTypes, Result r, long limit) {
        for (int i = 0; i < n.outputCount(); i++) {
            Dim[] sv = ctx.outputShapeValue(i);
            TensorType t = outTypes[i];
            if (sv == null || t == null || !t.isStatic() || !t.dtype().isInteger() || t.shape().numel() != sv.length || sv.length > limit) continue;
            boolean known = true;
            for (Dim d : sv) known &= d.isKnown();
            if (!known) continue;
            Tensor c = Tensor.allocate(t.dtype(), t.shape().toIntArray());
            for (int k = 0; k < sv.length; k++) c.setLong(k, sv[k].value());
            r.values.put(n.output(i), c);
        }
    }

    private static boolean foldable(TensorType[] outs, long limit) {
        for (TensorType t : outs) {
            if (t == null) continue;
            if (!t.isStatic()) return limit == Long.MAX_VALUE;
            if (t.shape().numel() > limit) return false;
        }
        return true;
    }

    /**
     * Combines a declared and an inferred type: dtypes must agree, known dims must agree, and a dim
     * known on one side only is taken from that side.
     */
    static TensorType merge(Node n, Value v, TensorType declared, TensorType inferred) {
        if (declared.dtype() != inferred.dtype()) {
            throw new EdgeoptException("node " + n.describe() + ": output '" + v.name() + "' is declared " + declared
                    + " but the op computes " + inferred);
        }
        if (declared.shape() == null) return inferred;
        if (inferred.shape() == null) return declared;
        Shape ds = declared.shape(), is = inferred.shape();
        if (ds.rank() != is.rank()) {
            throw new EdgeoptException("node " + n.describe() + ": output '" + v.name() + "' is declared " + declared
                    + " but the op computes " + inferred);
        }
        Dim[] out = new Dim[is.rank()];
        for (int i = 0; i < out.length; i++) {
            Dim d = ds.dim(i), x = is.dim(i);
            if (d.isKnown() && x.isKnown() && d.value() != x.value()) {
                throw new EdgeoptException("node " + n.describe() + ": output '" + v.name() + "' is declared " + declared
                        + " but the op computes " + inferred);
            }
            out[i] = x.isKnown() ? x : d.isKnown() ? d : x.isSymbolic() ? x : d;
        }
        return new TensorType(inferred.dtype(), Shape.of(out));
    }

    /**
     * Infers and writes types into every value of the graph (declared types of graph inputs are
     * kept). Small integer subgraphs are folded when an evaluator is given, so shape arithmetic
     * resolves.
     */
    public static Result annotate(Graph g, Evaluator evaluator) {
        Options o = new Options();
        if (evaluator != null) o.fold(evaluator, 4096);
        Result r = run(g, o);
        for (Node n : g.nodes()) {
            for (Value v : n.outputs()) {
                TensorType t = r.types.get(v);
                if (t != null) v.setType(t);
            }
        }
        return r;
    }

    /**
     * Full verification: structure ({@link GraphVerifier}) then types (every op known, declared and
     * inferred types agree).
     *
     * @throws EdgeoptException naming the node and the problem
     */
    public static void verify(Graph g) {
        GraphVerifier.verify(g);
        run(g, new Options());
    }
}
