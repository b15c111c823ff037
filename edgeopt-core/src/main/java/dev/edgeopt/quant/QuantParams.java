package dev.edgeopt.quant;

import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.DType;

/** The scale and zero point of one quantized activation tensor. */
public record QuantParams(float scale, int zeroPoint, DType dtype) {
    /**
     * Asymmetric parameters covering {@code [lo, hi]} widened to include 0, so that 0 (padding,
     * Relu) is exactly representable: {@code scale = (hi - lo) / (qmax - qmin)},
     * {@code zeroPoint = round(qmin - lo / scale)} clamped to the type.
     */
    public static QuantParams asymmetric(double lo, double hi, DType dtype) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        long qmin = QuantMath.qmin(dtype), qmax = QuantMath.qmax(dtype);
        // An all-zero tensor still needs a positive scale; any value represents 0 exactly.
        float scale = hi == lo ? 1f : (float) ((hi - lo) / (qmax - qmin));
        if (!(scale > 0) || Float.isInfinite(scale)) scale = Float.MIN_NORMAL;
        long zp = QuantMath.saturate(Math.round(qmin - lo / scale), qmin, qmax);
        return new QuantParams(scale, (int) zp, dtype);
    }

    public float dequantize(long q) { return QuantMath.dequantize(q, zeroPoint, scale); }

    public long quantize(float x) { return QuantMath.quantize(x, scale, zeroPoint, QuantMath.qmin(dtype), QuantMath.qmax(dtype)); }

    /** The float value after a quantize/dequantize round trip. */
    public float fakeQuant(float x) { return dequantize(quantize(x)); }
}
