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
        r.register(new Schema("InstanceNormalization", ctx -> sameAsX(ctx, 3)));
        r.register(new Schema("LayerNormalization", NnSchemas::layerNorm));
        r.register(new Schema("GroupNormalization", ctx -> {
            if (ctx.opset() < 18) throw ctx.fail("GroupNormalization needs opset >= 18");
            return sameAsX(ctx, 2);
        }));
        r.register(new Schema("MeanVarianceNormalization", ctx -> sameAsX(ctx, 1)));
        r.register(new Schema("LRN", ctx -> sameAsX(ctx, 3)));
        r.register(new Schema("MaxUnpool", NnSchemas::maxUnpool));
        r.register(new Schema("MaxRoiPool", NnSchemas::maxRoiPool));
        r.register(new Schema("Resize", NnSchemas::resize));
        r.register(new Schema("Upsample", NnSchemas::resize));
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

    static List<TensorType> sameAsX(InferContext ctx, int minRank) {
        requireRankAtLeast(ctx, 0, minRank, "input X");
        requireFloat(ctx, 0);
        return List.of(ctx.requireType(0));
    }

    /** Y like X; Mean and InvStdDev keep X's leading dims up to axis and are 1 after it. */
    static List<TensorType> layerNorm(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 1, "input X");
        requireFloat(ctx, 0);
        if (ctx.opset() < 17) throw ctx.fail("LayerNormalization needs opset >= 17");
        int axis = ctx.axis(ctx.attrInt("axis", -1), x.rank());
        Dim[] d = x.dims();
        for (int i = axis; i < d.length; i++) d[i] = Dim.of(1);
        List<TensorType> out = new ArrayList<>();
        out.add(ctx.requireType(0));
        DType stash = ctx.attrInt("stash_type", 1) == 1 ? DType.FLOAT : DType.DOUBLE;
        for (int i = 1; i < Math.min(3, ctx.node().outputCount()); i++) out.add(new TensorType(stash, Shape.of(d)));
        return out;
    }

    /** Output spatial size (in - 1) * stride - pads + kernel, or the output_shape input when given. */
    static List<TensorType> maxUnpool(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 3, "input X");
        requireFloat(ctx, 0);
        if (ctx.inputDtype(1) != DType.INT64) throw ctx.fail("input I must be int64, got " + ctx.inputDtype(1));
        int r = x.rank() - 2;
        if (ctx.hasInput(2)) {
            Dim[] sv = ctx.inputShapeValue(2);
            if (sv == null) return List.of(new TensorType(ctx.inputDtype(0), Infer.unknownShape(x.rank())));
            if (sv.length != x.rank()) throw ctx.fail("output_shape has " + sv.length + " values, expected " + x.rank());
            return List.of(new TensorType(ctx.inputDtype(0), Shape.of(sv)));
        }
        long[] k = ctx.attrInts("kernel_shape", null);
        if (k == null || k.length != r) throw ctx.fail("attribute kernel_shape with " + r + " values is required");
        long[] s = ctx.attrInts("strides", null), p = ctx.attrInts("pads", null);
        if (s != null && s.length != r) throw ctx.fail("strides has " + s.length + " values, expected " + r);
        if (p != null && p.length != 2 * r) throw ctx.fail("pads has " + p.length + " values, expected " + 2 * r);
        long[] in = spatial(x), out = new long[r];
        for (int i = 0; i < r; i++) {
            long st = s == null ? 1 : s[i];
            out[i] = in[i] < 0 ? -1 : (in[i] - 1) * st - (p == null ? 0 : p[i] + p[i + r]) + k[i];
            if (in[i] >= 0 && out[i] < 1) throw ctx.fail("output spatial size " + out[i] + " is not positive");
        }
        return List.of(new TensorType(ctx.inputDtype(0), withSpatial(x, out)));
    }

    /** Resized dims from constant scales or sizes; a dim with scale 1 keeps its symbol. */
    static List<TensorType> resize(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 1, "input X");
        DType xt = ctx.inputDtype(0);
        if (!xt.isFloating() && xt != DType.INT8 && xt != DType.UINT8) throw ctx.fail("input X has unsupported dtype " + xt);
        int n = ctx.inputCount();
        boolean[] present = new boolean[n];
        dev.edgeopt.tensor.Tensor[] values = new dev.edgeopt.tensor.Tensor[n];
        for (int i = 1; i < n; i++) {
            present[i] = ctx.hasInput(i);
            values[i] = ctx.inputValue(i);
        }
        long[] in = new long[x.rank()];
        for (int i = 0; i < in.length; i++) in[i] = x.dim(i).isKnown() ? x.dim(i).value() : -1;
        // Sizes computed from shapes (Shape/Gather/Concat) may be symbolic even when not constant.
        Dim[] sizesSym = null;
        if (!ctx.node().opType().equals("Upsample") && ctx.opset() >= 11 && n > 3 && present[3] && values[3] == null) {
            sizesSym = ctx.inputShapeValue(3);
        }
        ResizeSpec spec = ResizeSpec.of(ctx.node(), ctx.opset(), in, values, present);
        Dim[] d = new Dim[x.rank()];
        for (int i = 0; i < d.length; i++) {
            if (spec.out[i] >= 0) d[i] = Dim.of(spec.out[i]);
            else if (sizesSym != null && sizesSym.length == d.length) d[i] = sizesSym[i];
            else if (spec.scales[i] == 1.0) d[i] = x.dim(i);
            else d[i] = Dim.unknown();
        }
        return List.of(new TensorType(ctx.inputDtype(0), Shape.of(d)));
    }

    /** [num_rois, C, pooled_h, pooled_w]. */
    static List<TensorType> maxRoiPool(InferContext ctx) {
        Shape x = requireRankAtLeast(ctx, 0, 4, "input X");
        requireFloat(ctx, 0);
        Shape rois = ctx.inputShape(1);
        if (x.rank() != 4) throw ctx.fail("input X must be 4-D, got " + x);
        if (rois.rank() != 2) throw ctx.fail("rois must be 2-D [num_rois, 5], got " + rois);
        long[] ps = ctx.attrInts("pooled_shape", null);
        if (ps == null || ps.length != 2 || ps[0] < 1 || ps[1] < 1) throw ctx.fail("attribute pooled_shape [h, w] is required");
        return List.of(new TensorType(ctx.inputDtype(0), Shape.of(rois.dim(0), x.dim(1), Dim.of(ps[0]), Dim.of(ps[1]))));
    }
}
