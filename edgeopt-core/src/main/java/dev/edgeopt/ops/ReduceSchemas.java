package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Schemas of reductions, Softmax-like ops, ArgMax/ArgMin, CumSum and TopK; see {@link OpRegistry#standard()}. */
final class ReduceSchemas {
    private ReduceSchemas() {}

    /** Reductions over {@code axes} with {@code keepdims}; ReduceSum takes axes as an input from opset 13. */
    static final List<String> REDUCE = List.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

    static void register(OpRegistry r) {
        for (String op : List.of("Softmax", "LogSoftmax", "Hardmax")) {
            r.register(new Schema(op, ctx -> {
                TensorType t = ctx.requireType(0);
                long dflt = ctx.opset() >= 13 ? -1 : 1;
                if (t.rank() > 0 || ctx.opset() >= 13) ctx.axis(ctx.attrInt("axis", dflt), Math.max(1, t.rank()));
                return List.of(t);
            }));
        }
        for (String op : REDUCE) r.register(new Schema(op, ReduceSchemas::reduce));
        r.register(new Schema("ArgMax", ReduceSchemas::arg));
        r.register(new Schema("ArgMin", ReduceSchemas::arg));
        r.register(new Schema("CumSum", ctx -> {
            if (ctx.inputDtype(1) != DType.INT32 && ctx.inputDtype(1) != DType.INT64) throw ctx.fail("axis must be int32 or int64");
            return List.of(ctx.requireType(0));
        }));
        r.register(new Schema("TopK", ReduceSchemas::topK));
    }

    /** Whether the op reads its axes from input 1 at this opset (else from the attribute). */
    static boolean axesFromInput(String op, int opset) {
        return op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
    }

    private static List<TensorType> reduce(InferContext ctx) {
        TensorType t = ctx.requireType(0);
        int rank = t.rank();
        boolean keep = ctx.attrInt("keepdims", 1) != 0;
        long[] axes;
        if (axesFromInput(ctx.node().opType(), ctx.opset())) {
            if (ctx.node().hasAttr("axes")) throw ctx.fail("axes is an input from this opset, not an attribute");
            if (!ctx.hasInput(1)) axes = new long[0];
            else {
                axes = ctx.inputLongs(1);
                if (axes == null) {
                    // Axes unknown until run time: the rank is known only with keepdims or a known axes length.
                    if (keep) return List.of(new TensorType(t.dtype(), Infer.unknownShape(rank)));
                    Shape as = ctx.inputShape(1);
                    if (as.rank() == 1 && as.dim(0).isKnown()) {
                        return List.of(new TensorType(t.dtype(), Infer.unknownShape(rank - (int) as.dim(0).value())));
                    }
                    return List.of(new TensorType(t.dtype(), null));
                }
            }
        } else {
            axes = ctx.attrInts("axes", new long[0]);
        }
        boolean[] reduced = reducedAxes(ctx, axes, rank, ctx.attrInt("noop_with_empty_axes", 0) != 0);
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) out.add(t.shape().dim(i));
            else if (keep) out.add(Dim.of(1));
        }
        return List.of(new TensorType(t.dtype(), Shape.of(out)));
    }

    /** Which axes a reduction folds: all when {@code axes} is empty, unless noop_with_empty_axes. */
    static boolean[] reducedAxes(InferContext ctx, long[] axes, int rank, boolean noopWhenEmpty) {
        boolean[] r = new boolean[rank];
        if (axes.length == 0) {
            if (!noopWhenEmpty) java.util.Arrays.fill(r, true);
            return r;
        }
        for (long a : axes) {
            int k = ctx.axis(a, rank);
            if (r[k]) throw ctx.fail("axis " + a + " is repeated");
            r[k] = true;
        }
        return r;
    }

    private static List<TensorType> arg(InferContext ctx) {
        TensorType t = ctx.requireType(0);
        int axis = ctx.axis(ctx.attrInt("axis", 0), t.rank());
        boolean keep = ctx.attrInt("keepdims", 1) != 0;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < t.rank(); i++) {
            if (i != axis) out.add(t.shape().dim(i));
            else if (keep) out.add(Dim.of(1));
        }
        return List.of(new TensorType(DType.INT64, Shape.of(out)));
    }

    private static List<TensorType> topK(InferContext ctx) {
        TensorType t = ctx.requireType(0);
        int axis = ctx.axis(ctx.attrInt("axis", -1), t.rank());
        Dim k;
        if (ctx.opset() < 10) {
            k = Dim.of(ctx.attrInt("k", -1));
        } else {
            Dim[] kv = ctx.inputShapeValue(1);
            k = kv != null && kv.length == 1 ? kv[0] : Dim.unknown();
        }
        Dim n = t.shape().dim(axis);
        if (k.isKnown() && n.isKnown() && k.value() > n.value()) throw ctx.fail("k = " + k.value() + " exceeds axis length " + n.value());
        if (k.isKnown() && k.value() < 0) throw ctx.fail("k must be >= 0, got " + k.value());
        Shape s = t.shape().withDim(axis, k);
        return List.of(new TensorType(t.dtype(), s), new TensorType(DType.INT64, s));
    }
}
