package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Schemas of the NN ops that are neither convolutions nor reductions: BatchNormalization and the
 * other normalizations, the pools, MaxUnpool, Resize and Upsample; see {@link OpRegistry#standard()}.
 * Batch and channel dims pass through symbolically; spatial dims are computed when known.
 */
final class NnSchemas {
    private NnSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema("BatchNormalization", NnSchemas::batchNorm));
        r.register(new Schema("MaxPool", ctx -> pool(ctx, ctx.opset() >= 10, ctx.opset() >= 10, true)));
        r.register(new Schema("AveragePool", ctx -> pool(ctx, ctx.opset() >= 10, ctx.opset() >= 19, false)));
        r.register(new Schema("LpPool", ctx -> pool(ctx, ctx.opset() >= 18, ctx.opset() >= 18, false)));
        r.register(new Schema("GlobalAveragePool", NnSchemas::globalPool));
        r.register(new Schema("GlobalMaxPool", NnSchemas::globalPool));
        r.register(new Schema("GlobalLpPool", NnSchemas::globalPool));
    }

    /** Input dtypes the float NN kernels accept. */
    static void requireFloat(InferContext ctx, int i) {
        DType t = ctx.inputDtype(i);
        if (!t.isFloating()) throw ctx.fail("input " + i + " must be a floating-point tensor, got " + t);
    }

    /** Spatial sizes of an [N, C, spatial...] shape, -1 where not a known number. */
    static long[] spatial(Shape s) {
        long[] r = new long[s.rank() - 2];
        for (int i = 0; i < r.length; i++) r[i] = s.dim(i + 2).isKnown() ? s.dim(i + 2).value() : -1;
        return r;
    }

    static Shape withSpatial(Shape s, long[] sp) {
        Dim[] d = s.dims();
        for (int i = 0; i < sp.length; i++) d[i + 2] = sp[i] < 0 ? Dim.unknown() : Dim.of(sp[i]);
        return Shape.of(d);
    }

    private static Shape requireRankAtLeast(InferContext ctx, int i, int rank, String what) {
        Shape s = ctx.inputShape(i);
        if (s.rank() < rank) throw ctx.fail(what + " must have rank >= " + rank + ", got " + s);
        return s;
    }

    static List<TensorType> batchNorm(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 2, "input X");
        requireFloat(ctx, 0);
        for (int i = 1; i < 5; i++) if (!ctx.hasInput(i)) throw ctx.fail("input " + i + " (scale, B, mean, var) is required");
        boolean spatial = ctx.opset() >= 9 || ctx.attrInt("spatial", 1) != 0;
        // Per-channel parameters are [C]; with spatial=0 (opset 7 and 8) they cover all of X.shape[1:].
        for (int i = 1; i < 5; i++) {
            Shape p = ctx.inputShape(i);
            if (spatial) {
                if (p.rank() != 1) throw ctx.fail("input " + i + " must be 1-D [C], got " + p);
                Dim c = x.dim(1), pc = p.dim(0);
                if (c.isKnown() && pc.isKnown() && c.value() != pc.value()) {
                    throw ctx.fail("input " + i + " has " + pc + " channels but X has " + c);
                }
            }
        }
        List<TensorType> out = new ArrayList<>();
        out.add(ctx.requireType(0));
        int nOut = ctx.node().outputCount();
        if (nOut > 1) {
            if (ctx.opset() < 14) {
                throw ctx.fail("the training outputs of BatchNormalization before opset 14 are not supported");
            }
            if (ctx.attrInt("training_mode", 0) == 0) {
                throw ctx.fail("outputs running_mean and running_var are only defined with training_mode=1");
            }
            if (nOut > 3) throw ctx.fail("BatchNormalization has at most 3 outputs, got " + nOut);
            for (int i = 1; i < nOut; i++) out.add(ctx.requireType(i + 2));
        }
        return out;
    }

    static List<TensorType> pool(InferContext ctx, boolean allowCeil, boolean allowDilations, boolean isMax) {
        TensorType xt = ctx.requireType(0);
        Shape x = requireRankAtLeast(ctx, 0, 3, "input X");
        DType dt = xt.dtype();
        boolean int8 = isMax && ctx.opset() >= 12 && (dt == DType.INT8 || dt == DType.UINT8);
        if (!dt.isFloating() && !int8) throw ctx.fail("input X has unsupported dtype " + dt);
        if (!isMax && ctx.node().outputCount() > 1) throw ctx.fail("has only one output");
        PoolGeometry g = PoolGeometry.of(ctx.node(), spatial(x), allowCeil, allowDilations);
        Shape y = withSpatial(x, g.out);
        List<TensorType> out = new ArrayList<>();
        out.add(new TensorType(dt, y));
        if (ctx.node().outputCount() > 1) {
            if (ctx.opset() < 8) throw ctx.fail("the Indices output needs opset >= 8");
            out.add(new TensorType(DType.INT64, y));
        }
        return out;
    }

    static List<TensorType> globalPool(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 3, "input X");
        requireFloat(ctx, 0);
        long[] ones = new long[x.rank() - 2];
        java.util.Arrays.fill(ones, 1);
        return List.of(new TensorType(ctx.inputDtype(0), withSpatial(x, ones)));
    }
}
