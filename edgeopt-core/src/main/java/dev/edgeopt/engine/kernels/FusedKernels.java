package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.conv.InvertedResidual;
import dev.edgeopt.ops.FusedOps;

/**
 * Kernels of edgeopt's fused ops ({@value FusedOps#DOMAIN} FusedConv, FusedGemm, FusedMatMul): the
 * Conv/Gemm/MatMul kernels with the node's activation applied to each output tile in the GEMM
 * epilogue, so a fused node runs in one pass over its output; and InvertedResidual, a whole
 * MobileNetV2 block computed in row bands ({@link InvertedResidual}). See {@link KernelRegistry#standard()}.
 */
public final class FusedKernels {
    private FusedKernels() {}

    public static void register(KernelRegistry r) {
        r.register(FusedOps.DOMAIN, FusedOps.FUSED_CONV, kc -> LinalgKernels.conv(kc, Activation.fromNode(kc.node())));
        r.register(FusedOps.DOMAIN, FusedOps.FUSED_GEMM, kc -> LinalgKernels.gemm(kc, Activation.fromNode(kc.node())));
        r.register(FusedOps.DOMAIN, FusedOps.FUSED_MATMUL, kc -> LinalgKernels.matMul(kc, Activation.fromNode(kc.node())));
        r.register(FusedOps.DOMAIN, FusedOps.INVERTED_RESIDUAL, InvertedResidual::new);
    }
}
