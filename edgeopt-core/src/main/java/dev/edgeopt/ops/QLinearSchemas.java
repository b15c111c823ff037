package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Schemas of the integer ops of the QOperator format that are not GEMM-like, with ONNX Runtime's
 * names and input orders (domain {@value #MS}), so a lowered graph is a model ORT runs:
 * QLinearAdd/QLinearMul (A, a_scale, a_zp, B, b_scale, b_zp, c_scale, c_zp), QLinearConcat
 * (y_scale, y_zp, then x, x_scale, x_zp per input), QLinearAveragePool, QLinearGlobalAveragePool,
 * QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax (X, x_scale, x_zp, y_scale, y_zp; QLinearSoftmax's
 * input and output have one type, and its {@code opset} attribute picks Softmax's axis rule); and edgeopt's
 * {@value #LUT} (same inputs, then the float op's own constant inputs), a unary float op
 * ({@code op} attribute, with that op's attributes) evaluated through a 256-entry table; and
 * edgeopt's QLinearGlobalMaxPool (as QLinearGlobalAveragePool, with equal input and output parameters).
 * The output type is always the output zero point's (int8 or uint8).
 */
final class QLinearSchemas {
    private QLinearSchemas() {}

    static final String MS = "com.microsoft";
    static final String LUT = "QLinearLookup";

    static void register(OpRegistry r) {
        r.register(new Schema("QLinearAdd", MS, QLinearSchemas::binary, null));
        r.register(new Schema("QLinearMul", MS, QLinearSchemas::binary, null));
        r.register(new Schema("QLinearConcat", MS, QLinearSchemas::concat, null));
        r.register(new Schema("QLinearAveragePool", MS, QLinearSchemas::averagePool, null));
        r.register(new Schema("QLinearGlobalAveragePool", MS, QLinearSchemas::globalAveragePool, null));
        r.register(new Schema("QLinearSoftmax", MS, QLinearSchemas::softmax, null));
        r.register(new Schema("QLinearSigmoid", MS, QLinearSchemas::unary, null));
        r.register(new Schema("QLinearLeakyRelu", MS, QLinearSchemas::unary, null));
        r.register(new Schema(LUT, FusedOps.DOMAIN, QLinearSchemas::unary, null));
        r.register(new Schema("QLinearGlobalMaxPool", FusedOps.DOMAIN, QLinearSchemas::globalAveragePool, null));
    }

    /** Checks that input {@code x} is 8-bit and returns the type of zero point {@code zp}, which must match. */
    private static DType int8(InferContext ctx, int x, int zp) {
        DType t = ctx.inputDtype(x);
        if (t != DType.INT8 && t != DType.UINT8) throw ctx.fail("input " + x + " must be int8 or uint8, got " + t);
        if (ctx.hasInput(zp) && ctx.inputDtype(zp) != t) throw ctx.fail("zero point " + zp + " is " + ctx.inputDtype(zp) + " but its tensor is " + t);
        return t;
    }

    private static DType outType(InferContext ctx, int zp) {
        if (!ctx.hasInput(zp)) throw ctx.fail("the output zero point (input " + zp + ") is required");
        DType t = ctx.inputDtype(zp);
        if (t != DType.INT8 && t != DType.UINT8) throw ctx.fail("the output zero point must be int8 or uint8, got " + t);
        return t;
    }

    static List<TensorType> binary(InferContext ctx) {
        int8(ctx, 0, 2);
        int8(ctx, 3, 5);
        return List.of(new TensorType(outType(ctx, 7), Infer.broadcast(ctx, ctx.inputShape(0), ctx.inputShape(3))));
    }

    static List<TensorType> unary(InferContext ctx) {
        int8(ctx, 0, 2);
        return List.of(new TensorType(outType(ctx, 4), ctx.inputShape(0)));
    }

    static List<TensorType> softmax(InferContext ctx) {
        DType t = int8(ctx, 0, 2);
        if (!ctx.node().hasAttr("opset")) throw ctx.fail("attribute 'opset' is required");
        if (outType(ctx, 4) != t) throw ctx.fail("input and output types differ");
        return List.of(new TensorType(t, ctx.inputShape(0)));
    }

    static List<TensorType> concat(InferContext ctx) {
        if (ctx.inputCount() < 5 || (ctx.inputCount() - 2) % 3 != 0) throw ctx.fail("needs y_scale, y_zero_point and (x, x_scale, x_zero_point) triples");
        if (!ctx.node().hasAttr("axis")) throw ctx.fail("attribute 'axis' is required");
        DType out = outType(ctx, 1);
        Shape first = ctx.inputShape(2);
        int axis = ctx.axis(ctx.attrInt("axis", 0), first.rank());
        var dims = first.dims();
        for (int i = 2; i < ctx.inputCount(); i += 3) {
            int8(ctx, i, i + 2);
            Shape s = ctx.inputShape(i);
            if (s.rank() != first.rank()) throw ctx.fail("input " + i + " has rank " + s.rank() + ", input 2 has rank " + first.rank());
            for (int d = 0; d < s.rank(); d++) {
                if (d == axis) {
                    if (i > 2) dims[d] = dims[d].plus(s.dim(d));
                } else if (dims[d].isKnown() && s.dim(d).isKnown() && dims[d].value() != s.dim(d).value()) {
                    throw ctx.fail("input " + i + " has shape " + s + ", which does not match " + first + " outside axis " + axis);
                }
            }
        }
        return List.of(new TensorType(out, Shape.of(dims)));
    }

    static List<TensorType> averagePool(InferContext ctx) {
        DType t = int8(ctx, 0, 2);
        if (ctx.attrInt("channels_last", 0) != 0) throw ctx.fail("channels_last is not supported");
        Shape x = ctx.inputShape(0);
        if (x.rank() < 3) throw ctx.fail("input X must have rank >= 3, got " + x);
        long[] spatial = new long[x.rank() - 2];
        for (int i = 0; i < spatial.length; i++) spatial[i] = x.dim(i + 2).isKnown() ? x.dim(i + 2).value() : -1;
        PoolGeometry g = PoolGeometry.of(ctx.node(), spatial, true, false);
        List<dev.edgeopt.ir.Dim> out = new ArrayList<>();
        out.add(x.dim(0));
        out.add(x.dim(1));
        for (long o : g.out) out.add(o < 0 ? dev.edgeopt.ir.Dim.unknown() : dev.edgeopt.ir.Dim.of(o));
        if (outType(ctx, 4) != t) throw ctx.fail("input and output types differ");
        return List.of(new TensorType(t, Shape.of(out)));
    }

    /** QLinearGlobalAveragePool's and QLinearGlobalMaxPool's output: [N, C, 1, ...]. */
    static List<TensorType> globalAveragePool(InferContext ctx) {
        DType t = int8(ctx, 0, 2);
        if (ctx.attrInt("channels_last", 0) != 0) throw ctx.fail("channels_last is not supported");
        Shape x = ctx.inputShape(0);
        if (x.rank() < 3) throw ctx.fail("input X must have rank >= 3, got " + x);
        List<dev.edgeopt.ir.Dim> out = new ArrayList<>();
        out.add(x.dim(0));
        out.add(x.dim(1));
        for (int i = 2; i < x.rank(); i++) out.add(dev.edgeopt.ir.Dim.of(1));
        if (outType(ctx, 4) != t) throw ctx.fail("input and output types differ");
        return List.of(new TensorType(t, Shape.of(out)));
    }
}
