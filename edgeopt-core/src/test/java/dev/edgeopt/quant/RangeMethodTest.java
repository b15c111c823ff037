package dev.edgeopt.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Range selection on values whose best range is known: a bulk plus one far outlier. */
class RangeMethodTest {
    static float[] reluGaussianWithOutlier() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[200_000];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.max(0, r.nextGaussian());
        x[17] = 40f;
        return x;
    }

    static Histogram histogram(float[] x) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        Histogram h = new Histogram(lo, hi);
        h.add(x, 0, x.length);
        return h;
    }

    /** Exact mean squared round-trip error over the raw values. */
    static double mse(float[] x, double[] range) {
        QuantParams p = QuantParams.asymmetric(range[0], range[1], DType.INT8);
        double e = 0;
        for (float v : x) {
            double d = v - p.fakeQuant(v);
            e += d * d;
        }
        return e / x.length;
    }

    @Test
    void clippingMethodsDropTheOutlierAndMinmaxKeepsIt() {
        float[] x = reluGaussianWithOutlier();
        Histogram h = histogram(x);
        double[] mm = RangeMethod.MINMAX.select(h, 99.99, DType.INT8);
        assertEquals(0, mm[0]);
        assertEquals(40, mm[1], 1e-6);
        double[] pct = RangeMethod.PERCENTILE.select(h, 99.99, DType.INT8);
        // Half the values are 0, so the 99.99th percentile is the normal's: 3.719 (bins of 40/2048).
        assertEquals(3.719, pct[1], 0.03);
        double[] ent = RangeMethod.ENTROPY.select(h, 99.99, DType.INT8);
        assertEquals(0, ent[0]);
        assertTrue(ent[1] <= 20 && ent[1] >= 5, "entropy: " + ent[1]);
        // MSE weighs the one outlier against the resolution of 200,000 values: the range it picks
        // has the least true squared error of all methods (within the histogram's approximation).
        double[] m = RangeMethod.MSE.select(h, 99.99, DType.INT8);
        for (double[] other : new double[][] {mm, pct, ent}) assertTrue(mse(x, m) <= 1.02 * mse(x, other), m[1] + " vs " + other[1]);
    }

    @Test
    void asymmetricParametersRepresentZeroExactly() {
        QuantParams p = QuantParams.asymmetric(-1.3, 4.1, DType.INT8);
        assertEquals(0f, p.fakeQuant(0f), 0f);
        assertEquals(5.4 / 255, p.scale(), 1e-7);
        QuantParams relu = QuantParams.asymmetric(0, 6, DType.INT8);
        assertEquals(-128, relu.zeroPoint());
        QuantParams zero = QuantParams.asymmetric(0, 0, DType.INT8);
        assertEquals(1f, zero.scale(), 0f);
        assertEquals(0f, zero.fakeQuant(0f), 0f);
    }
}
