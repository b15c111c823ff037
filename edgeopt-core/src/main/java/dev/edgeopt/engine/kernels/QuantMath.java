package dev.edgeopt.engine.kernels;

import dev.edgeopt.ir.DType;

/**
 * The one definition of quantization arithmetic in edgeopt, shared by QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear and (later) the int8 engine and its requantization.
 *
 * <p>As ONNX specifies and ONNX Runtime computes it:
 * <ul>
 *   <li>quantize: {@code q = saturate(roundHalfToEven(x / scale) + zeroPoint)}. The division is a
 *       float32 division (not a multiplication by 1/scale, which rounds differently), the rounding
 *       is to nearest with ties to even, and the zero point is added after rounding;</li>
 *   <li>saturate: clamp to the integer type's range ({@code [-128, 127]} for int8,
 *       {@code [0, 255]} for uint8, ...); NaN quantizes to the zero point;</li>
 *   <li>dequantize: {@code x = (q - zeroPoint) * scale}, the difference taken exactly in integers
 *       and the product in float32.</li>
 * </ul>
 */
public final class QuantMath {
    private QuantMath() {}

    /** Element i of an int8 or uint8 array (bit patterns in a byte[]) as an int, sign- or zero-extended. */
    public static int at8(byte[] a, int i, boolean unsigned) { return unsigned ? a[i] & 0xFF : a[i]; }

    /** Smallest value of an integer quantized type. */
    public static long qmin(DType t) {
        return switch (t) {
            case INT8 -> Byte.MIN_VALUE;
            case UINT8, UINT16, UINT32 -> 0;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            default -> throw new IllegalArgumentException("not a quantized integer type: " + t);
        };
    }

    /** Largest value of an integer quantized type. */
    public static long qmax(DType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case INT16 -> Short.MAX_VALUE;
            case UINT16 -> 65535;
            case INT32 -> Integer.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            default -> throw new IllegalArgumentException("not a quantized integer type: " + t);
        };
    }

    /** Round to nearest, ties to even, saturated to the long range (NaN gives 0). */
    public static long roundHalfToEven(double v) {
        return (long) Math.rint(v);
    }

    public static long saturate(long v, long qmin, long qmax) {
        return v < qmin ? qmin : Math.min(v, qmax);
    }

    /** {@code saturate(roundHalfToEven(x / scale) + zeroPoint)} with a float32 division. */
    public static long quantize(float x, float scale, long zeroPoint, long qmin, long qmax) {
        float q = x / scale;
        if (Float.isNaN(q)) return saturate(zeroPoint, qmin, qmax);
        return saturate(roundHalfToEven(q) + zeroPoint, qmin, qmax);
    }

    /** {@code (q - zeroPoint) * scale} in float32. */
    public static float dequantize(long q, long zeroPoint, float scale) {
        return (float) (q - zeroPoint) * scale;
    }

    /**
     * DynamicQuantizeLinear's scale for uint8: the range [min, max] is first widened to include 0,
     * then {@code scale = (max - min) / 255}; 1 when the range is empty (all zeros), as ONNX Runtime
     * does, so quantization stays defined.
     */
    public static float dynamicScaleUint8(float min, float max) {
        min = Math.min(min, 0f);
        max = Math.max(max, 0f);
        return max == min ? 1f : (max - min) / 255f;
    }

    /**
     * DynamicQuantizeLinear's zero point for uint8: {@code roundHalfToEven(saturate(0 - min /
     * scale))}, so 0 is exactly representable.
     */
    public static long dynamicZeroPointUint8(float min, float scale) {
        float zp = 0f - Math.min(min, 0f) / scale;
        return roundHalfToEven(Math.max(0f, Math.min(255f, zp)));
    }
}
