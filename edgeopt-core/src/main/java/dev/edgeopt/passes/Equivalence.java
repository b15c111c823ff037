package dev.edgeopt.passes;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Equivalence mode: runs a graph before and after optimization in the Java engine on the same
 * inputs and reports how far the outputs drift. Outputs are matched by position, since passes keep
 * graph output names and order.
 */
public final class Equivalence {
    private Equivalence() {}

    /** Drift of one output: max |a-b|, and that relative to the output's magnitude (max |a|). */
    public record OutputError(String output, double maxAbs, double maxRel) {}

    public record Report(List<OutputError> outputs) {
        public double maxAbs() { return outputs.stream().mapToDouble(OutputError::maxAbs).max().orElse(0); }

        public double maxRel() { return outputs.stream().mapToDouble(OutputError::maxRel).max().orElse(0); }
    }

    /**
     * Seeded inputs for every graph input: uniform in [-1, 1) for floats, small non-negative values
     * for integers. Symbolic dims (a batch) take {@code symbolicDim}.
     */
    public static Map<String, Tensor> randomInputs(Graph g, long seed, int symbolicDim) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            if (v.type() == null || v.shape() == null) throw new EdgeoptException("input '" + v.name() + "' has no shape; give inputs explicitly");
            Shape s = v.shape();
            int[] dims = new int[s.rank()];
            for (int i = 0; i < dims.length; i++) {
                Dim d = s.dim(i);
                dims[i] = d.isKnown() ? (int) d.value() : symbolicDim;
            }
            Tensor t = Tensor.allocate(v.dtype(), dims);
            for (int i = 0; i < t.size(); i++) {
                if (v.dtype() == DType.FLOAT || v.dtype() == DType.DOUBLE) t.setDouble(i, rnd.nextDouble(-1, 1));
                else if (v.dtype() == DType.BOOL) t.setDouble(i, rnd.nextBoolean() ? 1 : 0);
                else t.setDouble(i, rnd.nextInt(4));
            }
            m.put(v.name(), t);
        }
        return m;
    }

    /** Runs both graphs on {@code inputs} in the Java engine and compares their outputs. */
    public static Report compare(Graph before, Graph after, Map<String, Tensor> inputs) {
        Tensor[] a = run(before, inputs), b = run(after, inputs);
        if (a.length != b.length) {
            throw new EdgeoptException("the graphs have " + a.length + " and " + b.length + " outputs");
        }
        List<OutputError> errs = new ArrayList<>();
        for (int i = 0; i < a.length; i++) errs.add(compare(before.outputs().get(i).name(), a[i], b[i]));
        return new Report(errs);
    }

    /** Compares with seeded random inputs (symbolic dims set to 1: batch-1). */
    public static Report compare(Graph before, Graph after, long seed) {
        return compare(before, after, randomInputs(before, seed, 1));
    }

    public static OutputError compare(String name, Tensor ref, Tensor got) {
        if (!java.util.Arrays.equals(ref.dims(), got.dims())) {
            throw new EdgeoptException("output '" + name + "' changed shape: " + ref.type() + " vs " + got.type());
        }
        double maxAbs = 0, mag = 0;
        for (int i = 0; i < ref.size(); i++) {
            double x = ref.getDouble(i), y = got.getDouble(i);
            double d = Math.abs(x - y);
            if (Double.isNaN(d)) d = Double.isNaN(x) && Double.isNaN(y) ? 0 : Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, d);
            if (!Double.isNaN(x)) mag = Math.max(mag, Math.abs(x));
        }
        return new OutputError(name, maxAbs, mag == 0 ? maxAbs : maxAbs / mag);
    }

    private static Tensor[] run(Graph g, Map<String, Tensor> inputs) {
        try (Executor ex = new Executor(g)) {
            Map<String, Tensor> out = ex.run(inputs);
            return out.values().toArray(new Tensor[0]);
        }
    }
}
