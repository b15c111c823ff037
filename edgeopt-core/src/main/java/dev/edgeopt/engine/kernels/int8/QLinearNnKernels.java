package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.Attribute;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kernels of the non-GEMM integer ops (the GEMM-like ones are {@link QLinearKernels}) of the QOperator format, under ONNX Runtime's names (domain
 * {@value #MS}), and edgeopt's table op {@value #LOOKUP} and {@value #GLOBAL_MAX_POOL}. Registered from
 * {@link dev.edgeopt.engine.kernels.QuantKernels}.
 */
public final class QLinearNnKernels {
    private QLinearNnKernels() {}

    public static final String MS = "com.microsoft";
    public static final String LOOKUP = "QLinearLookup";
    /** GlobalMaxPool on 8-bit values (ONNX's and ORT's GlobalMaxPool are float only). */
    public static final String GLOBAL_MAX_POOL = "QLinearGlobalMaxPool";
    /** The attribute of {@value #LOOKUP} naming its float op. */
    public static final String OP = "op";

    public static void register(KernelRegistry r) {
        r.register(MS, "QLinearAdd", kc -> new QLinearBinary(kc, false));
        r.register(MS, "QLinearMul", kc -> new QLinearBinary(kc, true));
        r.register(MS, "QLinearConcat", QLinearConcat::new);
        r.register(MS, "QLinearGlobalAveragePool", QLinearPool::global);
        r.register(MS, "QLinearAveragePool", QLinearPool::average);
        r.register(MS, "QLinearSoftmax", QLinearSoftmax::new);
        r.register(MS, "QLinearSigmoid", kc -> new Lookup(kc, "Sigmoid", Map.of(), 0));
        r.register(MS, "QLinearLeakyRelu", kc -> new Lookup(kc, "LeakyRelu", Map.of("alpha", Attribute.of(kc.attrFloat("alpha", 0.01f))), 0));
        r.register(dev.edgeopt.ops.FusedOps.DOMAIN, GLOBAL_MAX_POOL, QLinearPool::globalMax);
        r.register(dev.edgeopt.ops.FusedOps.DOMAIN, LOOKUP, kc -> {
            String op = kc.attrString(OP, null);
            if (op == null) throw kc.fail("attribute '" + OP + "' (the float op) is required");
            Map<String, Attribute> attrs = new LinkedHashMap<>(kc.node().attributes());
            attrs.remove(OP);
            return new Lookup(kc, op, attrs, Math.max(0, kc.inputCount() - 5));
        });
    }
}
