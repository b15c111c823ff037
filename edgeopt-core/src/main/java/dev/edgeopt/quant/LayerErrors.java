package dev.edgeopt.quant;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-layer comparison of a float graph and its quantized graph: each quantized activation as the
 * float graph computes it against its dequantized value in the quantized graph, where errors of
 * every layer before it have accumulated.
 */
public final class LayerErrors {
    private LayerErrors() {}

    /** SQNR = 10 log10(sum x^2 / sum (x - y)^2) in dB (infinite when equal). */
    public record Row(String tensor, String node, String opType, double sqnrDb, double cosine, double maxAbsError, float scale, int zeroPoint) {}

    public static List<Row> compare(PostTrainingQuantizer.Result r, Tensor input, int threads) {
        // Data movement repeats its input's row: only layers that compute something are compared.
        List<PostTrainingQuantizer.Activation> acts = r.activations().stream().filter(a -> !PostTrainingQuantizer.isMovement(a.opType())).toList();
        Graph f = r.prepared().copy(), q = r.qdq().copy();
        f.clearOutputs();
        q.clearOutputs();
        for (PostTrainingQuantizer.Activation a : acts) {
            f.addOutput(f.value(a.tensor()));
            q.addOutput(q.value(a.dequantized()));
        }
        Tensor[] fy, qy;
        try (Executor ef = new Executor(f, threads); Executor eq = new Executor(q, threads)) {
            fy = ef.run(input);
            qy = eq.run(input);
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < acts.size(); i++) {
            float[] a = fy[i].toFloatArray(), b = qy[i].toFloatArray();
            double sig = 0, noise = 0, ab = 0, bb = 0, mx = 0;
            for (int k = 0; k < a.length; k++) {
                double d = a[k] - b[k];
                sig += (double) a[k] * a[k];
                noise += d * d;
                ab += (double) a[k] * b[k];
                bb += (double) b[k] * b[k];
                mx = Math.max(mx, Math.abs(d));
            }
            double sqnr = noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(sig / noise);
            double cos = sig == 0 || bb == 0 ? (sig == bb ? 1 : 0) : ab / Math.sqrt(sig * bb);
            PostTrainingQuantizer.Activation act = acts.get(i);
            rows.add(new Row(act.tensor(), act.producer(), act.opType(), sqnr, cos, mx, act.params().scale(), act.params().zeroPoint()));
        }
        return rows;
    }

    /** The {@code n} rows with the lowest SQNR, worst first. */
    public static List<Row> worst(List<Row> rows, int n) {
        return rows.stream().sorted(Comparator.comparingDouble(Row::sqnrDb)).limit(n).toList();
    }
}
