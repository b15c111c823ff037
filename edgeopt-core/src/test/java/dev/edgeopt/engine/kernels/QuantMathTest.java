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
