package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.DType;
import org.junit.jupiter.api.Test;

/** The rounding and saturation rules ONNX's QuantizeLinear specification states. */
class QuantMathTest {
    @Test
    void tiesRoundToEvenBeforeTheZeroPointIsAdded() {
        long lo = QuantMath.qmin(DType.INT8), hi = QuantMath.qmax(DType.INT8);
        assertEquals(2, QuantMath.quantize(2.5f, 1f, 0, lo, hi));
        assertEquals(4, QuantMath.quantize(3.5f, 1f, 0, lo, hi));
        assertEquals(-2, QuantMath.quantize(-2.5f, 1f, 0, lo, hi));
        // 2.5 rounds to 2 first, then the zero point 1 is added: 3, not round(3.5) = 4.
        assertEquals(3, QuantMath.quantize(2.5f, 1f, 1, lo, hi));
        assertEquals(127, QuantMath.quantize(1e9f, 1f, 0, lo, hi));
        assertEquals(-128, QuantMath.quantize(-1e9f, 1f, 0, lo, hi));
        assertEquals(255, QuantMath.quantize(300f, 1f, 0, 0, 255));
        assertEquals(0, QuantMath.quantize(-1f, 1f, 0, 0, 255));
        assertEquals(10, QuantMath.quantize(Float.NaN, 1f, 10, 0, 255));
        assertEquals(-128, QuantMath.quantize(Float.NEGATIVE_INFINITY, 1f, -128, lo, hi));
        assertEquals(255, QuantMath.quantize(Float.POSITIVE_INFINITY, 1f, 255, 0, 255));
    }

    /** The vector form against the scalar one: halves (ties), the clamp edges, NaN, Inf, random values. */
    @Test
    void quantizeBytesEqualsTheScalarForm() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int n = 4099;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 8) {
                case 0 -> (r.nextInt(-600, 600)) / 2f; // exact halves
                case 1 -> (float) r.nextDouble(-300, 300);
                case 2 -> Float.intBitsToFloat(r.nextInt()); // any bit pattern: NaN, Inf, huge, subnormal
                case 3 -> (float) r.nextGaussian() * 1e7f;
                case 4 -> (1 << 22) * (r.nextBoolean() ? 1 : -1) + r.nextInt(-3, 4) + 0.5f;
                default -> (float) r.nextGaussian() * 40f;
            };
        }
        x[5] = Float.NaN;
        x[13] = Float.POSITIVE_INFINITY;
        x[21] = Float.NEGATIVE_INFINITY;
        x[n - 7] = Float.NaN;
        x[n - 500] = Float.NEGATIVE_INFINITY;
        for (float scale : new float[] {1f, 0.5f, 0.0137f, 3.3f, 1e-30f}) {
            for (int[] t : new int[][] {{-128, 127, 0}, {-128, 127, -128}, {-128, 127, 17}, {0, 255, 0}, {0, 255, 255}, {0, 255, 128}}) {
                // n values (the vector path and its tail) and a run below VECTOR_MIN (the plain loop).
                for (int len : new int[] {n, 1000}) {
                    byte[] v = new byte[len];
                    QuantMath.quantizeBytes(x, n - len, v, 0, len, scale, t[2], t[0], t[1]);
                    for (int i = 0; i < len; i++) {
                        long want = QuantMath.quantize(x[n - len + i], scale, t[2], t[0], t[1]);
                        assertEquals((byte) want, v[i], "x=" + x[n - len + i] + " scale " + scale + " zp " + t[2] + " n " + len);
                    }
                }
            }
        }
    }

    @Test
    void dequantizeSubtractsExactly() {
        assertEquals(-255 * 0.006f, QuantMath.dequantize(-128, 127, 0.006f), 0f);
        assertEquals(0f, QuantMath.dequantize(200, 200, 3f));
    }

    @Test
    void dynamicRangeIncludesZero() {
        float s = QuantMath.dynamicScaleUint8(1f, 3f);
        assertEquals(3f / 255f, s, 0f);
        assertEquals(0, QuantMath.dynamicZeroPointUint8(1f, s));
        s = QuantMath.dynamicScaleUint8(-3f, -1f);
        assertEquals(255, QuantMath.dynamicZeroPointUint8(-3f, s));
        assertEquals(1f, QuantMath.dynamicScaleUint8(0f, 0f), 0f);
    }
}
