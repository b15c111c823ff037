package dev.edgeopt.cli;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The costs {@code inspect} reports, computed from a typed graph. MACs come from each op's schema
 * ({@link dev.edgeopt.ops.OpSchema#macs}), so they agree with every other place that counts them.
 *
 * <p>Weights are the graph's non-scalar constants, each counted once however many nodes read it.
 * Rank-0 constants (ONNX exporters emit them as Constant nodes: Clip bounds, Pow exponents) are not
 * parameters of the network and are counted separately.
 */
record ModelStats(
        Long macs,
        long weightElements,
        long weightBytes,
        int scalarConstants,
        Activation largestActivation,
        Map<String, Integer> opHistogram,
        List<NodeStats> nodes) {

    /** One node's row: shapes as text, parameters it reads, MACs (null when shapes are not static). */
    record NodeStats(String name, String op, List<String> inputs, List<String> outputs, long params, Long macs, Long outputBytes) {}

    /** The largest non-constant tensor (an input or a node output). */
    record Activation(String name, String shape, long bytes) {}

    static ModelStats of(Graph g) {
        OpRegistry ops = OpRegistry.standard();
        List<NodeStats> rows = new ArrayList<>();
        Map<String, Integer> hist = new TreeMap<>();
        long macs = 0;
        boolean macsKnown = true;
        Activation largest = null;
        for (Value v : g.inputs()) largest = larger(largest, v);
        for (Node n : g.nodes()) {
            hist.merge(n.opType(), 1, Integer::sum);
            TensorType[] in = new TensorType[n.inputCount()];
            List<String> inText = new ArrayList<>();
            long params = 0;
            boolean static_ = true;
            for (int i = 0; i < in.length; i++) {
                Value v = n.input(i);
                inText.add(Cli.shapeText(v));
                if (v == null) continue;
                in[i] = v.type();
                if (in[i] == null || !in[i].isStatic()) static_ = false;
                if (isWeight(v)) params += v.constant().size();
            }
            TensorType[] out = new TensorType[n.outputCount()];
            List<String> outText = new ArrayList<>();
            long outBytes = 0;
            for (int i = 0; i < out.length; i++) {
                Value v = n.output(i);
                out[i] = v.type();
                outText.add(Cli.shapeText(v));
                if (out[i] == null || !out[i].isStatic()) static_ = false;
                else outBytes += out[i].byteSize();
                largest = larger(largest, v);
            }
            Long nodeMacs = static_ ? ops.require(n).macs(n, in, out) : null;
            if (nodeMacs == null) macsKnown = false;
            else macs += nodeMacs;
            rows.add(new NodeStats(n.name(), n.opType(), inText, outText, params, nodeMacs, static_ ? outBytes : null));
        }
        long weightElements = 0, weightBytes = 0;
        int scalars = 0;
        // Each constant once, even when several nodes read it.
        for (Value v : g.initializers()) {
            Tensor t = v.constant();
            if (t.rank() == 0) {
                scalars++;
            } else {
                weightElements += t.size();
                weightBytes += (long) t.size() * t.dtype().byteSize();
            }
        }
        return new ModelStats(macsKnown ? macs : null, weightElements, weightBytes, scalars, largest, hist, rows);
    }

    private static boolean isWeight(Value v) { return v.isConstant() && v.constant().rank() > 0; }

    private static Activation larger(Activation cur, Value v) {
        TensorType t = v.type();
        if (v.isConstant() || t == null || !t.isStatic()) return cur;
        long b = t.byteSize();
        return cur == null || b > cur.bytes ? new Activation(v.name(), t.toString(), b) : cur;
    }
}
