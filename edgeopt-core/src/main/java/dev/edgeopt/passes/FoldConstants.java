package dev.edgeopt.passes;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.InferContext;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.OpSchema;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * Replaces nodes whose inputs are all constants by initializers holding their outputs, computed by
 * the engine's own kernels ({@link Executor#evaluator()}), so folding and running cannot disagree.
 * {@code Shape} of a value with a static shape is folded too, which turns exporters' shape
 * subgraphs (Shape, Gather, Unsqueeze, Concat feeding a Reshape) into constants in one sweep.
 *
 * <p>Nodes whose op has no schema or kernel, or whose kernel rejects the inputs, are left alone.
 * Folds that would grow the model a lot (an Expand or ConstantOfShape into a big tensor) are
 * skipped: they trade a cheap op for weight memory, which is the wrong trade on a device.
 */
public final class FoldConstants implements Pass {
    private static final Set<String> NEVER = Set.of(
            "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli");

    /** Outputs up to this many elements fold freely; bigger ones only if no bigger than the inputs. */
    private static final long FREE_ELEMENTS = 1 << 16;

    private final ShapeInference.Evaluator evaluator;

    public FoldConstants() { this(Executor.evaluator()); }

    public FoldConstants(ShapeInference.Evaluator evaluator) { this.evaluator = evaluator; }

    @Override public String name() { return "fold-constants"; }

    @Override public String description() { return "evaluate nodes with constant inputs (including static shape subgraphs)"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        OpRegistry ops = OpRegistry.standard();
        KernelRegistry kernels = KernelRegistry.standard();
        ShapeInference.Result known = shapeValues(g);
        for (Node n : g.nodes().toArray(new Node[0])) {
            if (n.graph() != g || NEVER.contains(n.opType()) || n.outputCount() == 0) continue;
            Tensor[] vals = null;
            if (Rewrites.is(n, "Shape")) vals = foldShape(g, n);
            else if (allInputsConstant(n)) vals = evaluate(g, n, ops, kernels);
            if (vals == null) vals = fromShapeValue(g, n, known);
            if (vals == null) continue;
            g.removeNode(n);
            for (int i = 0; i < n.outputCount() && i < vals.length; i++) {
                Value v = n.output(i);
                if (vals[i] == null) continue;
                g.setConstant(v, vals[i]);
            }
            g.removeUnusedValues();
            ctx.changed(n.name(), "folded " + n.opType() + " to a constant");
        }
        return g;
    }

    /** Shape inference's symbolic contents of integer shape tensors, or null when some op has no schema. */
    private static ShapeInference.Result shapeValues(Graph g) {
        if (!PassManager.allOpsKnown(g)) return null;
        try {
            return ShapeInference.run(g, new ShapeInference.Options());
        } catch (EdgeoptException e) {
            return null;
        }
    }

    /**
     * A single-output integer node whose contents inference knows exactly although its inputs are
     * not all constant: {@code Gather(Shape(x), 1)} is x's channel count even when x has a symbolic
     * batch.
     */
    private static Tensor[] fromShapeValue(Graph g, Node n, ShapeInference.Result known) {
        if (known == null || n.outputCount() != 1) return null;
        Value out = n.output(0);
        Dim[] sv = known.shapeValues.get(out);
        TensorType t = known.type(out);
        if (sv == null || t == null || t.shape() == null || t.shape().rank() > 1 || t.dtype() != DType.INT64) return null;
        long[] v = new long[sv.length];
        for (int i = 0; i < sv.length; i++) {
            if (!sv[i].isKnown()) return null;
            v[i] = sv[i].value();
        }
        if (t.shape().rank() == 0) return v.length == 1 ? new Tensor[] {Tensor.scalarLong(v[0])} : null;
        if (!t.shape().dim(0).isKnown() || t.shape().dim(0).value() != v.length) return null;
        return new Tensor[] {Tensor.vector(v)};
    }

    private static boolean allInputsConstant(Node n) {
        for (Value v : n.inputs()) if (v != null && !v.isConstant()) return false;
        return true;
    }

    /** Shape(x) for a static x; honours opset-15 start/end. */
    private static Tensor[] foldShape(Graph g, Node n) {
        Shape s = n.input(0).shape();
        if (s == null || !s.isStatic() || !Rewrites.onlyFirstOutputUsed(g, n)) return null;
        int r = s.rank();
        long start = n.attrInt("start", 0), end = n.attrInt("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.max(0, Math.min(r, start));
        end = Math.max(start, Math.min(r, end));
        long[] d = new long[(int) (end - start)];
        for (int i = 0; i < d.length; i++) d[i] = s.dim((int) start + i).value();
        return new Tensor[] {Tensor.vector(d)};
    }

    private Tensor[] evaluate(Graph g, Node n, OpRegistry ops, KernelRegistry kernels) {
        OpSchema schema = ops.find(n.domain(), n.opType());
        if (schema == null || kernels.find(n.domain(), n.opType()) == null) return null;
        int ni = n.inputCount();
        TensorType[] inTypes = new TensorType[ni];
        Tensor[] inVals = new Tensor[ni];
        long inElems = 0;
        for (int i = 0; i < ni; i++) {
            if (n.input(i) == null) continue;
            inVals[i] = n.input(i).constant();
            inTypes[i] = inVals[i].type();
            inElems += inVals[i].size();
        }
        try {
            List<TensorType> outs = schema.infer(new InferContext(n, g.opset(), inTypes, inVals, new Dim[ni][]));
            TensorType[] outTypes = new TensorType[n.outputCount()];
            for (int i = 0; i < outTypes.length; i++) {
                if (i >= outs.size()) {
                    // An optional output the op does not produce here; it must be unused to fold.
                    if (!g.uses(n.output(i)).isEmpty() || g.isGraphOutput(n.output(i))) return null;
                    continue;
                }
                TensorType t = outs.get(i);
                if (t == null || !t.isStatic() || t.dtype() == DType.STRING) return null;
                long size = t.shape().numel();
                if (size > FREE_ELEMENTS && size > inElems) return null;
                outTypes[i] = t;
            }
            return evaluator.evaluate(n, inVals, outTypes, g.opset());
        } catch (EdgeoptException | ArithmeticException e) {
            // The precondition "the engine can compute this node" failed; leave it to run time.
            return null;
        }
    }
}
