package dev.edgeopt.engine.kernels;

import dev.edgeopt.ir.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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
        // Clamped first so that adding the zero point cannot overflow: -Inf with zero point -128
        // used to wrap around to +2^63 and give 127.
        long r = Math.clamp(roundHalfToEven(q), -(1L << 62), 1L << 62);
        return saturate(r + zeroPoint, qmin, qmax);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    /** 1.5 * 2^23: adding it to a float of magnitude <= 2^22 rounds to an integer, ties to even. */
    private static final float ROUNDER = 12582912f;
    private static final float LIMIT = 1 << 22;
    /** Below this many values the plain loop runs (see {@link #quantizeBytes}). */
    static final int VECTOR_MIN = 4096;

    /**
     * {@link #quantize(float, float, long, long, long)} of {@code n} floats into int8 or uint8 bytes
     * ({@code [qmin, qmax]} within [-128, 255]), bit for bit: the same float32 division; the
     * quotient clamped to +-2^22 (which changes nothing after saturation, Inf included) and rounded
     * by adding and subtracting 1.5 * 2^23 (float32 addition rounds to nearest even, and every
     * float in [2^23, 2^24] is an integer); NaN survives the clamp and casts to 0, so it gives the
     * zero point, as the scalar form does. Large inputs use the Vector API (C2 leaves the plain
     * loop scalar: 2 ns per value on mobilenet_v2's input against 0.3); small ones a plain loop,
     * because a vector method called once per inference on a small input stays in C1, where
     * vector operations are boxed (resnet8's 784 values took 60 us that way against ~1).
     */
    public static void quantizeBytes(float[] x, int xo, byte[] y, int yo, int n, float scale, int zeroPoint, int qmin, int qmax) {
        int i = n >= VECTOR_MIN ? quantizeVector(x, xo, y, yo, n, scale, zeroPoint, qmin, qmax) : 0;
        for (; i < n; i++) {
            float q = Math.min(Math.max(x[xo + i] / scale, -LIMIT), LIMIT);
            int r = (int) ((q + ROUNDER) - ROUNDER) + zeroPoint;
            y[yo + i] = (byte) Math.min(Math.max(r, qmin), qmax);
        }
    }

    /** The whole vectors of {@link #quantizeBytes}; returns how many values it did. */
    private static int quantizeVector(float[] x, int xo, byte[] y, int yo, int n, float scale, int zeroPoint, int qmin, int qmax) {
        int i = 0;
        FloatVector s = FloatVector.broadcast(F, scale), hi = FloatVector.broadcast(F, LIMIT), lo = FloatVector.broadcast(F, -LIMIT);
        FloatVector r = FloatVector.broadcast(F, ROUNDER);
        IntVector z = IntVector.broadcast(I, zeroPoint), qlo = IntVector.broadcast(I, qmin), qhi = IntVector.broadcast(I, qmax);
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector q = FloatVector.fromArray(F, x, xo + i).div(s).max(lo).min(hi);
            IntVector v = (IntVector) q.add(r).sub(r).convertShape(VectorOperators.F2I, I, 0);
            ((ByteVector) v.add(z).max(qlo).min(qhi).convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yo + i);
        }
        return i;
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
