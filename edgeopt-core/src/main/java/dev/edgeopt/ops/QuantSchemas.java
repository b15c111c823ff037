package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/**
 * Schemas of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear; see
 * {@link OpRegistry#standard()}. Scale and zero point are per tensor (scalars), per axis (1-D,
 * opset 13+) or per block (same rank as x, opset 21+).
 */
final class QuantSchemas {
    private QuantSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema("QuantizeLinear", QuantSchemas::quantize));
        r.register(new Schema("DequantizeLinear", QuantSchemas::dequantize));
        r.register(new Schema("DynamicQuantizeLinear", QuantSchemas::dynamic));
        QLinearSchemas.register(r);
    }

    static boolean quantType(DType t) {
        return t == DType.INT8 || t == DType.UINT8 || t == DType.INT16 || t == DType.UINT16;
    }

    /** Checks the rank of scale and zero point against x, the axis and block_size. */
    static void checkParams(InferContext ctx, Shape x) {
        Shape s = ctx.inputShape(1);
        long block = ctx.attrInt("block_size", 0);
        if (block > 0) {
            if (ctx.opset() < 21) throw ctx.fail("block_size needs opset >= 21");
            if (s.rank() != x.rank()) throw ctx.fail("blocked scale must have the rank of x " + x + ", got " + s);
            ctx.axis(ctx.attrInt("axis", 1), x.rank());
        } else if (s.rank() == 1 && !(s.dim(0).isKnown() && s.dim(0).value() == 1 && ctx.opset() < 13)) {
            if (ctx.opset() < 13) throw ctx.fail("per-axis scale needs opset >= 13, got scale " + s);
            int axis = ctx.axis(ctx.attrInt("axis", 1), x.rank());
            if (x.dim(axis).isKnown() && s.dim(0).isKnown() && x.dim(axis).value() != s.dim(0).value()) {
                throw ctx.fail("scale has " + s.dim(0) + " values but axis " + axis + " of x " + x + " has " + x.dim(axis));
            }
        } else if (s.rank() > 1) {
            throw ctx.fail("scale must be a scalar or 1-D, got " + s);
        }
        if (ctx.hasInput(2) && ctx.inputType(2).shape() != null && !ctx.inputShape(2).equals(s)) {
            throw ctx.fail("zero point shape " + ctx.inputShape(2) + " differs from scale shape " + s);
        }
    }

    static List<TensorType> quantize(InferContext ctx) {
        Shape x = ctx.inputShape(0);
        DType xt = ctx.inputDtype(0);
        if (xt != DType.FLOAT) throw ctx.fail("x must be float32, got " + xt);
        if (ctx.inputDtype(1) != DType.FLOAT) throw ctx.fail("y_scale must be float32, got " + ctx.inputDtype(1));
        checkParams(ctx, x);
        DType out;
        if (ctx.hasInput(2)) {
            out = ctx.inputDtype(2);
        } else {
            long code = ctx.opset() >= 21 ? ctx.attrInt("output_dtype", 0) : 0;
            out = code == 0 ? DType.UINT8 : DType.fromOnnx((int) code);
        }
        if (out == null || !quantType(out)) throw ctx.fail("quantized type " + out + " is not supported (int8, uint8, int16, uint16)");
        return List.of(new TensorType(out, x));
    }

    static List<TensorType> dequantize(InferContext ctx) {
        Shape x = ctx.inputShape(0);
        DType xt = ctx.inputDtype(0);
        if (!quantType(xt) && xt != DType.INT32) throw ctx.fail("x has unsupported type " + xt);
        if (ctx.inputDtype(1) != DType.FLOAT) throw ctx.fail("x_scale must be float32, got " + ctx.inputDtype(1));
        if (ctx.hasInput(2) && ctx.inputDtype(2) != xt) throw ctx.fail("zero point type " + ctx.inputDtype(2) + " differs from x type " + xt);
        checkParams(ctx, x);
        return List.of(new TensorType(DType.FLOAT, x));
    }

    static List<TensorType> dynamic(InferContext ctx) {
        Shape x = ctx.inputShape(0);
        if (ctx.inputDtype(0) != DType.FLOAT) throw ctx.fail("x must be float32, got " + ctx.inputDtype(0));
        return List.of(new TensorType(DType.UINT8, x), new TensorType(DType.FLOAT, Shape.scalar()),
                new TensorType(DType.UINT8, Shape.scalar()));
    }
}
