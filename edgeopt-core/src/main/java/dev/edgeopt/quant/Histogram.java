package dev.edgeopt.quant;

/**
 * Counts of one tensor's values over [min, max] in equal bins. Costs are computed at bin centres:
 * with 2048 bins and 256 levels each level spans about 8 bins, fine enough to rank ranges.
 */
public final class Histogram {
    public static final int BINS = 2048;
    private final double min, max, width;
    private final long[] counts = new long[BINS];
    private long total;

    public Histogram(double min, double max) {
        this.min = min;
        this.max = max;
        this.width = max > min ? (max - min) / BINS : 0;
    }

    public double min() { return min; }

    public double max() { return max; }

    public long total() { return total; }

    public void add(float[] a, int off, int n) {
        if (width == 0) {
            counts[0] += n;
            total += n;
            return;
        }
        double inv = 1 / width;
        for (int i = 0; i < n; i++) {
            int b = (int) ((a[off + i] - min) * inv);
            counts[b < 0 ? 0 : Math.min(b, BINS - 1)]++;
        }
        total += n;
    }

    private double centre(int b) { return min + (b + 0.5) * width; }

    /** The value below which a fraction q of the counts lie (bin-edge resolution). */
    public double quantile(double q) {
        double target = q * total;
        long acc = 0;
        for (int b = 0; b < BINS; b++) {
            acc += counts[b];
            if (acc >= target) return min + (b + 1) * width;
        }
        return max;
    }

    /** Mean squared error of a quantize/dequantize round trip of the values. */
    public double quantizationMse(QuantParams qp) {
        double err = 0;
        for (int b = 0; b < BINS; b++) {
            if (counts[b] == 0) continue;
            double x = centre(b), d = x - qp.fakeQuant((float) x);
            err += counts[b] * d * d;
        }
        return err / Math.max(1, total);
    }

    /**
     * KL(P || Q) as TensorRT's entropy calibration defines it, over the bins inside the candidate
     * range: P is the histogram there with the mass outside moved onto the edge bins; Q gives each
     * quantization level the observed mass of its bins (without the clipped outliers, which is
     * what makes clipping cost), spread evenly over those that were non-empty. Both are normalized.
     */
    public double klDivergence(QuantParams qp) {
        if (width == 0) return 0;
        double lo = qp.dequantize(dev.edgeopt.engine.kernels.QuantMath.qmin(qp.dtype()));
        double hi = qp.dequantize(dev.edgeopt.engine.kernels.QuantMath.qmax(qp.dtype()));
        int i0 = Math.max(0, (int) Math.floor((lo - min) / width)), i1 = Math.min(BINS, (int) Math.ceil((hi - min) / width));
        if (i1 - i0 < 2) return Double.POSITIVE_INFINITY;
        double[] p = new double[i1 - i0];
        for (int b = 0; b < BINS; b++) p[Math.max(i0, Math.min(i1 - 1, b)) - i0] += counts[b];
        double[] q = new double[p.length];
        int start = 0;
        long startLevel = qp.quantize((float) centre(i0));
        for (int j = 1; j <= p.length; j++) {
            long lv = j < p.length ? qp.quantize((float) centre(i0 + j)) : Long.MIN_VALUE;
            if (lv == startLevel) continue;
            double mass = 0;
            int nonEmpty = 0;
            for (int k = start; k < j; k++) {
                mass += counts[i0 + k];
                if (counts[i0 + k] > 0) nonEmpty++;
            }
            for (int k = start; k < j; k++) q[k] = counts[i0 + k] > 0 ? mass / nonEmpty : 0;
            start = j;
            startLevel = lv;
        }
        double qTotal = 0;
        for (double v : q) qTotal += v;
        if (qTotal == 0) return Double.POSITIVE_INFINITY;
        double kl = 0;
        for (int k = 0; k < p.length; k++) {
            if (p[k] == 0) continue;
            double pk = p[k] / total;
            // An edge bin may hold clipped mass while having been empty itself (smoothing).
            double qk = q[k] > 0 ? q[k] / qTotal : 1e-9;
            kl += pk * Math.log(pk / qk);
        }
        return kl;
    }
}
