package dev.edgeopt.ops;

import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/**
 * Schemas of edgeopt's fused ops in domain {@value FusedOps#DOMAIN}: {@code FusedConv},
 * {@code FusedGemm} and {@code FusedMatMul} take their base op's inputs and attributes plus
 * {@code activation} (an ONNX activation op name, e.g. "Relu", "Clip", "HardSwish") and
 * {@code activation_params} (that op's float parameters in ONNX order, e.g. Clip's min and max), the
 * convention of ONNX Runtime's FusedConv. FusedMatMul takes an optional third input, a bias of
 * shape [N] added along the last axis. {@link FusedOps#unfuse} writes them back as standard ONNX.
 */
final class FusedSchemas {
    private FusedSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema(FusedOps.FUSED_CONV, FusedOps.DOMAIN, LinalgSchemas::inferConv, LinalgSchemas::convMacs));
        r.register(new Schema(FusedOps.FUSED_GEMM, FusedOps.DOMAIN, LinalgSchemas::inferGemm, LinalgSchemas::gemmMacs));
        r.register(new Schema(FusedOps.FUSED_MATMUL, FusedOps.DOMAIN, FusedSchemas::inferFusedMatMul, LinalgSchemas::matMulMacs));
        r.register(new Schema(FusedOps.INVERTED_RESIDUAL, FusedOps.DOMAIN, FusedSchemas::inferInvertedResidual, FusedSchemas::invertedResidualMacs));
    }

    /** See {@link FusedOps#INVERTED_RESIDUAL}: the output of the depthwise window with the projection's channels. */
    private static List<TensorType> inferInvertedResidual(InferContext ctx) {
        Shape x = ctx.inputShape(0), wd = ctx.inputShape(3), wp = ctx.inputShape(5);
        if (x.rank() != 4 || wd.rank() != 4 || wp.rank() != 4) throw ctx.fail("input and weights must be 4-D, got " + x + ", " + wd + ", " + wp);
        Dim mid = wd.dim(0);
        Dim cin = ctx.hasInput(1) ? ctx.inputShape(1).dim(1) : mid;
        if (ctx.hasInput(1) && !ctx.inputShape(1).dim(0).equals(mid)) throw ctx.fail("expansion " + ctx.inputShape(1) + " and depthwise " + wd + " weights differ in channels");
        if (x.dim(1).isKnown() && cin.isKnown() && x.dim(1).value() != cin.value()) throw ctx.fail("input has " + x.dim(1) + " channels, weights expect " + cin);
        if (!wp.dim(1).equals(mid)) throw ctx.fail("projection " + wp + " does not read the " + mid + " depthwise channels");
        ConvGeometry g;
        try {
            g = ConvGeometry.conv(ctx.node(), LinalgSchemas.known(x, 2), LinalgSchemas.known(wd, 2));
        } catch (ConvGeometry.Invalid e) {
            throw ctx.fail(e.getMessage());
        }
        Shape y = Shape.of(x.dim(0), wp.dim(0), g.out[0] < 0 ? Dim.unknown() : Dim.of(g.out[0]), g.out[1] < 0 ? Dim.unknown() : Dim.of(g.out[1]));
        if (ctx.attrInt("residual", 0) != 0 && !y.equals(x)) throw ctx.fail("residual needs the output shape " + y + " to equal the input's " + x);
        return List.of(new TensorType(ctx.inputDtype(0), y));
    }

    private static long invertedResidualMacs(dev.edgeopt.ir.Node n, TensorType[] in, TensorType[] out) {
        Shape x = in[0].shape(), wd = in[3].shape(), wp = in[5].shape(), y = out[0].shape();
        long outPixels = Infer.prod(y, 0, 1) * Infer.prod(y, 2, 4);
        long macs = outPixels * (Infer.prod(wd, 0, 4) + Infer.prod(wp, 0, 2));
        if (in.length > 1 && in[1] != null) macs += Infer.prod(x, 0, 1) * Infer.prod(x, 2, 4) * Infer.prod(in[1].shape(), 0, 2);
        return macs;
    }

    private static List<TensorType> inferFusedMatMul(InferContext ctx) {
        List<TensorType> t = LinalgSchemas.inferMatMul(ctx);
        if (ctx.hasInput(2)) {
            Shape b = ctx.inputShape(2), y = t.get(0).shape();
            if (b.rank() != 1 || y.rank() == 0 || (b.dim(0).isKnown() && y.dim(-1).isKnown() && b.dim(0).value() != y.dim(-1).value())) {
                throw ctx.fail("bias " + b + " does not match the last axis of " + y);
            }
        }
        return t;
    }
}
