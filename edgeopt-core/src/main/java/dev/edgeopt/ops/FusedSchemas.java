package dev.edgeopt.ops;

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
