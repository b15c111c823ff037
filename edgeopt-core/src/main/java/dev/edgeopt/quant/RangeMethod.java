package dev.edgeopt.quant;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import java.util.Locale;

/**
 * How an activation's calibration range is chosen from its observed values, summarized as a
 * {@link Histogram}. Clipping rare outliers buys resolution for the bulk of the values; the methods
 * differ in how they weigh the two.
 */
public enum RangeMethod {
    /** The observed minimum and maximum: nothing clipped. */
    MINMAX,
    /** The (100 - p)th and pth percentiles of the values. */
    PERCENTILE,
    /** The range whose quantized histogram has the least KL divergence from the observed one (TensorRT's entropy calibration). */
    ENTROPY,
    /** The range with the least expected squared quantization error, clipping included. */
    MSE;

    public static RangeMethod parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EdgeoptException("unknown calibration method '" + s + "'; methods are minmax, percentile, entropy, mse");
        }
    }

    @Override public String toString() { return name().toLowerCase(Locale.ROOT); }

    /**
     * Candidate ranges are the observed one shrunk around 0 by factors from 1 down to 1/8 in
     * geometric steps; below 1/8 a level would span less than one of the histogram's bins.
     */
    private static final int STEPS = 128;
    private static final double MIN_FACTOR = 0.125;

    /**
     * The range {@code [lo, hi]} (containing 0) this method picks for a histogram.
     *
     * @param percentile for {@link #PERCENTILE}, e.g. 99.99
     */
    public double[] select(Histogram h, double percentile, DType dtype) {
        double lo = Math.min(h.min(), 0), hi = Math.max(h.max(), 0);
        if (this == MINMAX || h.total() == 0 || lo == hi) return new double[] {lo, hi};
        if (this == PERCENTILE) {
            double p = percentile / 100;
            double a = h.min() < 0 ? h.quantile(1 - p) : lo, b = h.max() > 0 ? h.quantile(p) : hi;
            return new double[] {Math.min(a, 0), Math.max(b, 0)};
        }
        double best = Double.POSITIVE_INFINITY, bestF = 1;
        for (int s = 0; s <= STEPS; s++) {
            double f = Math.pow(MIN_FACTOR, (double) s / STEPS);
            QuantParams qp = QuantParams.asymmetric(lo * f, hi * f, dtype);
            double cost = this == MSE ? h.quantizationMse(qp) : h.klDivergence(qp);
            if (cost < best) {
                best = cost;
                bestF = f;
            }
        }
        return new double[] {lo * bestF, hi * bestF};
    }
}
