package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.KernelRegistry;

/** Kernels of one op family; see {@link KernelRegistry#standard()}. */
public final class QuantKernels {
    private QuantKernels() {}

    public static void register(KernelRegistry r) {
    }
}
