package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.KernelRegistry;

/** Kernels of the MAC-bearing ops (Conv, ConvTranspose, Gemm, MatMul); see {@link KernelRegistry#standard()}. */
public final class LinalgKernels {
    private LinalgKernels() {}

    public static void register(KernelRegistry r) {
    }
}
