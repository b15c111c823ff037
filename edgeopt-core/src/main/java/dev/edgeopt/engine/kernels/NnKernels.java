package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.nn.BatchNormKernel;
import dev.edgeopt.engine.kernels.nn.GlobalPoolKernel;
import dev.edgeopt.engine.kernels.nn.NormKernels;
import dev.edgeopt.engine.kernels.nn.PoolKernel;
import dev.edgeopt.engine.kernels.nn.ResizeKernel;

/**
 * Kernels of the NN family (normalizations, pools, MaxUnpool, Resize); the implementations live in
 * {@link dev.edgeopt.engine.kernels.nn}. See {@link KernelRegistry#standard()}.
 */
public final class NnKernels {
    private NnKernels() {}

    public static void register(KernelRegistry r) {
        r.register("BatchNormalization", BatchNormKernel::new);
        r.register("MaxPool", PoolKernel::maxPool);
        r.register("AveragePool", PoolKernel::averagePool);
        r.register("LpPool", PoolKernel::lpPool);
        r.register("GlobalAveragePool", GlobalPoolKernel::average);
        r.register("GlobalMaxPool", GlobalPoolKernel::max);
        r.register("GlobalLpPool", GlobalPoolKernel::lp);
        r.register("InstanceNormalization", NormKernels::instanceNorm);
        r.register("LayerNormalization", NormKernels::layerNorm);
        r.register("GroupNormalization", NormKernels::groupNorm);
        r.register("MeanVarianceNormalization", NormKernels::meanVarianceNorm);
        r.register("LRN", NormKernels::lrn);
        r.register("MaxUnpool", NormKernels::maxUnpool);
        r.register("MaxRoiPool", NormKernels::maxRoiPool);
        r.register("Resize", ResizeKernel::new);
        r.register("Upsample", ResizeKernel::new);
    }
}
