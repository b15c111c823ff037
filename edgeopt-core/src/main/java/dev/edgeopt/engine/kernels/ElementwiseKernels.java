package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;

/** Kernels of elementwise ops; see {@link KernelRegistry#standard()}. */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    public static void register(KernelRegistry r) {
        r.register("Relu", ElementwiseKernels::relu);
        r.register("Add", ElementwiseKernels::add);
    }

    static Kernel relu(KernelContext kc) {
        if (kc.inDtype(0) != DType.FLOAT) throw kc.fail("Relu supports float32, got " + kc.inDtype(0));
        return (in, out) -> {
            float[] x = in[0].floats(), y = out[0].floats();
            int xo = in[0].offset(), yo = out[0].offset(), n = out[0].size();
            for (int i = 0; i < n; i++) y[yo + i] = Math.max(x[xo + i], 0f);
        };
    }

    static Kernel add(KernelContext kc) {
        int[] os = kc.outShape(0);
        int[] ma = Broadcast.indexMap(kc.inShape(0), os), mb = Broadcast.indexMap(kc.inShape(1), os);
        return (in, out) -> {
            Tensor a = in[0], b = in[1], y = out[0];
            for (int i = 0; i < y.size(); i++) y.setDouble(i, a.getDouble(ma[i]) + b.getDouble(mb[i]));
        };
    }
}
