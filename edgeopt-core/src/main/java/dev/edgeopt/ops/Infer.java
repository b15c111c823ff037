package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/** Building blocks for schema inference functions. */
public final class Infer {
    private Infer() {}

    /** Output 0 has input 0's type (unary elementwise ops). */
    public static final InferFn SAME_AS_INPUT0 = ctx -> List.of(ctx.requireType(0));

    /** Multidirectional broadcasting of all present inputs; output dtype is input 0's. */
    public static final InferFn BROADCAST = ctx -> List.of(new TensorType(ctx.inputDtype(0), broadcastInputs(ctx)));

    /** Like {@link #BROADCAST} but the output is bool (comparisons). */
    public static final InferFn BROADCAST_BOOL = ctx -> List.of(new TensorType(DType.BOOL, broadcastInputs(ctx)));

    public static Shape broadcastInputs(InferContext ctx) {
        Shape s = null;
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (!ctx.hasInput(i)) continue;
            Shape si = ctx.inputShape(i);
            s = s == null ? si : broadcast(ctx, s, si);
        }
        if (s == null) throw ctx.fail("needs at least one input");
        return s;
    }

    /** Numpy broadcasting on possibly symbolic shapes. */
    public static Shape broadcast(InferContext ctx, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        Dim[] out = new Dim[rank];
        for (int i = 0; i < rank; i++) {
            int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
            Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
            Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
            out[i] = broadcastDim(ctx, da, db, a, b);
        }
        return Shape.of(out);
    }

    private static Dim broadcastDim(InferContext ctx, Dim a, Dim b, Shape sa, Shape sb) {
        if (a.equals(b)) return a;
        if (a.isKnown() && a.value() == 1) return b;
        if (b.isKnown() && b.value() == 1) return a;
        if (a.isKnown() && b.isKnown()) {
            throw ctx.fail("shapes " + sa + " and " + sb + " do not broadcast");
        }
        // A symbol against a number: the symbol must take that number at run time.
        if (a.isKnown()) return a;
        if (b.isKnown()) return b;
        return Dim.unknown();
    }

    /** A shape of the given rank with every dimension unknown. */
    public static Shape unknownShape(int rank) {
        Dim[] d = new Dim[rank];
        java.util.Arrays.fill(d, Dim.unknown());
        return Shape.of(d);
    }

    /** Shape from exact long values (e.g. a constant shape input); -1 entries become unknown. */
    public static Shape shapeOf(long[] v) {
        Dim[] d = new Dim[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i] >= 0 ? Dim.of(v[i]) : Dim.unknown();
        return Shape.of(d);
    }

    /** Product of static dims {@code [from, to)} as a long, for MAC counts. */
    public static long prod(Shape s, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) p = Math.multiplyExact(p, s.dim(i).value());
        return p;
    }
}
