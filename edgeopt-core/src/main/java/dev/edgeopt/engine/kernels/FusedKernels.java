package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelFactory;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * Kernels of edgeopt-domain fused ops; see {@link KernelRegistry#standard()}. The reference
 * {@code FusedConv}/{@code FusedGemm} run the base op's kernel and then the shared
 * {@link Activation} over its output inside the same kernel, so no intermediate tensor is planned
 * and the result equals the unfused pair by construction. A base kernel with its own epilogue can
 * replace this without changing the op.
 */
public final class FusedKernels {
    private FusedKernels() {}

    public static void register(KernelRegistry r) {
        r.register("edgeopt", "FusedConv", kc -> fused(kc, "Conv"));
        r.register("edgeopt", "FusedGemm", kc -> fused(kc, "Gemm"));
    }

    static Kernel fused(KernelContext kc, String base) {
        if (kc.outDtype(0) != DType.FLOAT) throw kc.fail("fused activations support float32, got " + kc.outDtype(0));
        KernelFactory f = KernelRegistry.standard().find("", base);
        if (f == null) throw kc.fail("the " + base + " kernel is not registered");
        Activation a = Activation.fromNode(kc.node());
        float[] p = kc.attrFloats("activation_params", a.defaults());
        float[] d = a.defaults();
        if (p.length < d.length) throw kc.fail("activation " + a.opName() + " needs " + d.length + " activation_params, got " + p.length);
        float p0 = p.length > 0 ? p[0] : 0f, p1 = p.length > 1 ? p[1] : 0f;
        Kernel k = f.create(kc);
        return (in, out) -> {
            k.run(in, out);
            Tensor y = out[0];
            a.applyInPlace(y.floats(), y.offset(), y.size(), p0, p1);
        };
    }
}
