package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * The per-tensor scale and zero point of one 8-bit tensor of a QLinear op, read at kernel creation
 * from constant inputs: requantization multipliers are precomputed from them, so they cannot
 * change between runs.
 */
record QParam(float scale, int zeroPoint, boolean unsigned) {
    int qmin() { return unsigned ? 0 : -128; }

    int qmax() { return unsigned ? 255 : 127; }

    /** The float value of quantized {@code q}, as DequantizeLinear computes it. */
    float dequantize(int q) { return QuantMath.dequantize(q, zeroPoint, scale); }

    /** Float to quantized, as QuantizeLinear computes it. */
    int quantize(float x) { return (int) QuantMath.quantize(x, scale, zeroPoint, qmin(), qmax()); }

    /** Reads scale input {@code si} and zero point input {@code zi} (absent: 0 of the tensor's type {@code t}). */
    static QParam of(KernelContext kc, int si, int zi, DType t) {
        if (t != DType.INT8 && t != DType.UINT8) throw kc.fail("input must be int8 or uint8, got " + t);
        Tensor s = kc.constant(si);
        if (s == null) throw kc.fail("scale (input " + si + ") must be a constant");
        if (s.size() != 1 || s.dtype() != DType.FLOAT) throw kc.fail("scale (input " + si + ") must be one float32, got " + s.type());
        float scale = s.getFloat(0);
        if (!(scale > 0) || Float.isInfinite(scale)) throw kc.fail("scale (input " + si + ") must be positive and finite, got " + scale);
        int zp = 0;
        if (kc.hasInput(zi)) {
            Tensor z = kc.constant(zi);
            if (z == null) throw kc.fail("zero point (input " + zi + ") must be a constant");
            if (z.size() != 1 || z.dtype() != t) throw kc.fail("zero point (input " + zi + ") must be one " + t + ", got " + z.type());
            zp = (int) z.getLong(0);
        }
        return new QParam(scale, zp, t == DType.UINT8);
    }
}
