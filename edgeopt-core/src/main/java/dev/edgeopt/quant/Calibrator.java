package dev.edgeopt.quant;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Observes float tensors of a graph with the Java engine over calibration samples. Two passes: the
 * first finds each tensor's [min, max], the second fills a {@link Histogram} over it, from which a
 * {@link RangeMethod} picks the range.
 */
public final class Calibrator {
    private Calibrator() {}

    /** Batch of samples per engine run. */
    static final int BATCH = 100;

    /**
     * Histograms of the named tensors over the samples {@code indices} of {@code data}.
     *
     * @throws EdgeoptException when the data does not fit the model's input or an activation is
     *     NaN or infinite
     */
    public static Map<String, Histogram> observe(Graph g, List<String> tensors, Dataset data, int[] indices, int threads) {
        checkInput(g, data);
        if (indices.length == 0) throw new EdgeoptException("calibration data set " + data.name() + " is empty");
        Graph probe = g.copy();
        probe.clearOutputs();
        for (String t : tensors) {
            Value v = probe.value(t);
            if (v == null) throw new IllegalArgumentException("no tensor " + t);
            probe.addOutput(v);
        }
        int n = tensors.size();
        double[] min = new double[n], max = new double[n];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        List<Histogram> hs = new ArrayList<>();
        try (Executor ex = new Executor(probe, threads)) {
            for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) for (int i = 0; i < n; i++) hs.add(new Histogram(min[i], max[i]));
                for (int s = 0; s < indices.length; s += BATCH) {
                    int count = Math.min(BATCH, indices.length - s);
                    Tensor[] ys = ex.run(batch(data, indices, s, count));
                    for (int i = 0; i < n; i++) {
                        Tensor y = ys[i];
                        float[] a = y.floats();
                        if (pass == 0) {
                            double lo = min[i], hi = max[i];
                            for (int k = y.offset(), e = y.offset() + y.size(); k < e; k++) {
                                float v = a[k];
                                if (!Float.isFinite(v)) throw nonFinite(g, data, tensors.get(i), v, indices[s + (int) Math.min(count - 1, (long) (k - y.offset()) * count / y.size())]);
                                if (v < lo) lo = v;
                                if (v > hi) hi = v;
                            }
                            min[i] = lo;
                            max[i] = hi;
                        } else {
                            hs.get(i).add(a, y.offset(), y.size());
                        }
                    }
                }
            }
        }
        Map<String, Histogram> r = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) r.put(tensors.get(i), hs.get(i));
        return r;
    }

    private static EdgeoptException nonFinite(Graph g, Dataset data, String tensor, float v, int sample) {
        Value t = g.value(tensor);
        String where = g.isGraphInput(t) ? "input " + tensor : "tensor " + tensor + " (output of node " + t.producer().name() + ")";
        return new EdgeoptException("calibration data " + data.name() + ", sample " + sample + ": " + where + " holds " + v);
    }

    /** Samples {@code indices[from .. from+count)} as one NCHW (or N x features) float batch. */
    public static Tensor batch(Dataset d, int[] indices, int from, int count) {
        int ss = d.sampleSize();
        float[] x = new float[count * ss];
        for (int i = 0; i < count; i++) d.copySample(indices[from + i], x, i * ss);
        int[] sample = d.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = count;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        return Tensor.of(x, shape);
    }

    /** The data must match the model's single float input, batch dimension aside. */
    public static void checkInput(Graph g, Dataset data) {
        if (g.inputs().size() != 1) throw new EdgeoptException("calibration needs a model with one input, " + g.name() + " has " + g.inputs().size());
        Value in = g.inputs().get(0);
        if (in.dtype() != dev.edgeopt.ir.DType.FLOAT) throw new EdgeoptException("calibration: input " + in.name() + " is " + in.dtype() + ", calibration data is float32");
        int[] sample = data.sampleShape();
        var shape = in.shape();
        boolean ok = shape != null && shape.rank() == sample.length + 1;
        for (int i = 0; ok && i < sample.length; i++) {
            var d = shape.dim(i + 1);
            ok = !d.isKnown() || d.value() == sample[i];
        }
        if (!ok) throw new EdgeoptException("calibration data " + data.name() + " has samples of shape " + Arrays.toString(sample) + " but input " + in.name() + " is " + shape);
        if (data.size() == 0) throw new EdgeoptException("calibration data set " + data.name() + " is empty");
    }
}
