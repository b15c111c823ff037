package dev.edgeopt.quant;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sensitivity-driven mixed precision: the layers whose quantization costs the most accuracy stay
 * float until the int8 model's accuracy drop is within a budget. Quantized candidates are measured
 * in the integer-only engine ({@link Int8Engine}), the float model in the float one.
 *
 * <p>Accuracy is measured on a validation split of the calibration data set that calibration does
 * not see: the seeded permutation's samples after the calibration ones. Each Conv/Gemm/MatMul's
 * sensitivity is the accuracy lost by quantizing that one layer's weights while all others stay
 * float. (The reverse, keeping one layer float among int8 ones, measures nothing when several
 * layers are broken: each alone regains no accuracy.) Layers are then kept float greedily, most
 * sensitive first, re-measuring the combination after each, because losses do not add up exactly.
 * A layer whose quantization loses nothing is never kept float: it would cost size for nothing.
 */
public final class MixedPrecision {
    private MixedPrecision() {}

    /**
     * One layer's sensitivity: validation accuracy when it is the only layer with int8 weights, and
     * the points that costs against all weights float (activations int8 in both).
     */
    public record Layer(String node, String opType, double accuracyAlone, double lossPoints) {}

    /**
     * The outcome: {@code keptFloat} in the order they were chosen, with why (their sensitivity);
     * accuracies are fractions on {@code validationSamples} samples.
     */
    public record Outcome(PostTrainingQuantizer.Result result, int validationSamples, double floatAccuracy, double int8Accuracy,
                          double finalAccuracy, double budgetPoints, List<Layer> sensitivities, List<Layer> keptFloat, boolean withinBudget) {
        public double finalDropPoints() { return 100 * (floatAccuracy - finalAccuracy); }
    }

    /**
     * Quantizes {@code model}, keeping its most sensitive layers float until the validation accuracy
     * drop is at most {@code maxDropPoints} percentage points.
     */
    public static Outcome quantize(Graph model, Dataset data, PostTrainingQuantizer.Options options, double maxDropPoints, int validationSamples) {
        if (!(maxDropPoints >= 0)) throw new EdgeoptException("--max-accuracy-drop must be >= 0 points, got " + maxDropPoints);
        if (validationSamples < 1) throw new EdgeoptException("--val-samples must be at least 1, got " + validationSamples);
        Calibrator.checkInput(model, data);
        int calib = Math.min(options.samples(), data.size());
        if (data.size() - calib < validationSamples) {
            throw new EdgeoptException("data set " + data.name() + " has " + data.size() + " samples: too few for " + calib + " calibration and "
                    + validationSamples + " validation samples");
        }
        int[] perm = Dataset.permutation(data.size(), options.seed());
        int[] val = Arrays.copyOfRange(perm, calib, calib + validationSamples);
        Map<String, Histogram> cache = new HashMap<>();
        PostTrainingQuantizer.Result full = PostTrainingQuantizer.quantize(model, data, options, Set.of(), cache);
        double fAcc = accuracy(full.prepared(), data, val, options.threads());
        double qAcc = int8Accuracy(full.qdq(), data, val, options.threads());
        double budget = maxDropPoints / 100;
        List<Layer> sens = new ArrayList<>();
        List<Layer> kept = new ArrayList<>();
        PostTrainingQuantizer.Result best = full;
        double acc = qAcc;
        if (fAcc - qAcc > budget) {
            List<String> layers = new ArrayList<>();
            for (Node n : full.prepared().nodes()) if (Set.of("Conv", "Gemm", "MatMul").contains(n.opType())) layers.add(n.name());
            // Baseline: every layer's weights float, activations int8 as before.
            PostTrainingQuantizer.Result none = PostTrainingQuantizer.quantize(model, data, options, new LinkedHashSet<>(layers), cache);
            double base = int8Accuracy(none.qdq(), data, val, options.threads());
            for (String name : layers) {
                Set<String> others = new LinkedHashSet<>(layers);
                others.remove(name);
                PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model, data, options, others, cache);
                double a = int8Accuracy(r.qdq(), data, val, options.threads());
                Node n = full.prepared().nodes().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
                sens.add(new Layer(name, n.opType(), a, 100 * (base - a)));
            }
            List<Layer> order = sens.stream().filter(l -> l.lossPoints() > 0)
                    .sorted(Comparator.comparingDouble(Layer::lossPoints).reversed().thenComparing(Layer::node)).toList();
            Set<String> floats = new LinkedHashSet<>();
            for (Layer l : order) {
                floats.add(l.node());
                kept.add(l);
                best = PostTrainingQuantizer.quantize(model, data, options, floats, cache);
                acc = int8Accuracy(best.qdq(), data, val, options.threads());
                if (fAcc - acc <= budget) break;
            }
        }
        List<String> warnings = new ArrayList<>(best.warnings());
        boolean ok = fAcc - acc <= budget + 1e-12;
        if (!ok) warnings.add(String.format(java.util.Locale.ROOT, "accuracy drop %.2f points on the validation split is over the budget of %.2f even with %d layers float",
                100 * (fAcc - acc), maxDropPoints, kept.size()));
        PostTrainingQuantizer.Result r = new PostTrainingQuantizer.Result(best.prepared(), best.qdq(), best.activations(), warnings);
        return new Outcome(r, val.length, fAcc, qAcc, acc, maxDropPoints, sens, kept, ok);
    }

    /** Top-1 accuracy of a float classifier graph on the samples {@code idx}. */
    public static double accuracy(Graph g, Dataset d, int[] idx, int threads) {
        try (Executor ex = new Executor(g, threads)) {
            return accuracy(ex, d, idx);
        }
    }

    /**
     * Top-1 accuracy of a QDQ graph in the integer-only engine, the one {@code quantize} reports as
     * int8 java (layers kept float run as float ops there).
     */
    public static double int8Accuracy(Graph qdq, Dataset d, int[] idx, int threads) {
        try (Int8Engine e = new Int8Engine(qdq, threads)) {
            return accuracy(e.executor(), d, idx);
        }
    }

    private static double accuracy(Executor ex, Dataset d, int[] idx) {
        int ok = 0;
        for (int s = 0; s < idx.length; s += Calibrator.BATCH) {
            int count = Math.min(Calibrator.BATCH, idx.length - s);
            float[] z = ex.run(Calibrator.batch(d, idx, s, count))[0].toFloatArray();
            int k = z.length / count;
            for (int i = 0; i < count; i++) {
                int a = 0;
                for (int j = 1; j < k; j++) if (z[i * k + j] > z[i * k + a]) a = j;
                if (a == d.label(idx[s + i])) ok++;
            }
        }
        return (double) ok / idx.length;
    }
}
