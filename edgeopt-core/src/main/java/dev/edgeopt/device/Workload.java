package dev.edgeopt.device;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.MacsFn;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.OpSchema;
import dev.edgeopt.ops.ShapeInference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Turns a typed graph into {@link Layer}s in execution order. MACs come from the op schemas
 * ({@link OpSchema#macs}).
 *
 * <p>Quantized graphs in QDQ form (DequantizeLinear → float op → QuantizeLinear) are costed as the
 * integer kernels a deployment fuses them into: a float op whose activation inputs come from
 * DequantizeLinear computes in the DequantizeLinear input's dtype, and DequantizeLinear of a
 * constant (quantized weights) is folded into its consumer's weights.
 */
public final class Workload {
    private Workload() {}

    public static String dtypeName(DType t) {
        return switch (t) {
            case UINT16 -> "int16";
            default -> t.shortName();
        };
    }

    /** Layers of a graph typed by shape inference, MACs from the standard schemas. */
    public static List<Layer> layers(Graph g, List<Node> order, ShapeInference.Result r) {
        OpRegistry reg = OpRegistry.standard();
        return layers(g, order, r::type, v -> v.isConstant() || r.isConstant(v), (n, in, out) -> {
            OpSchema s = reg.find(n.domain(), n.opType());
            return s == null ? 0 : s.macs(n, in, out);
        });
    }

    public static List<Layer> layers(Graph g, List<Node> order, Function<Value, TensorType> typeOf,
                                     Predicate<Value> isConstant, MacsFn macs) {
        List<Layer> out = new ArrayList<>();
        for (Node n : order) {
            if (fusedAway(n)) continue;
            TensorType[] inT = new TensorType[n.inputCount()];
            TensorType[] outT = new TensorType[n.outputCount()];
            for (int i = 0; i < inT.length; i++) if (n.input(i) != null) inT[i] = typeOf.apply(n.input(i));
            for (int i = 0; i < outT.length; i++) outT[i] = typeOf.apply(n.output(i));
            long m = macs.macs(n, inT, outT);
            long inBytes = 0, outBytes = 0, weights = 0, elements = 0, maxDim = 0, batch = 1;
            int rank = 0;
            String dtype = null;
            List<String> ins = new ArrayList<>(), outs = new ArrayList<>();
            for (Value v : n.inputs()) {
                if (v == null) continue;
                Value src = source(v, isConstant);
                TensorType t = typeOf.apply(src);
                if (t == null || !t.isStatic()) continue;
                long b = t.byteSize();
                if (isConstant.test(src)) {
                    weights += b;
                    continue;
                }
                inBytes += b;
                ins.add(src.name());
                elements = Math.max(elements, t.shape().numel());
                if (dtype == null) {
                    dtype = dtypeName(t.dtype());
                    if (t.rank() > 0) batch = t.shape().dim(0).value();
                }
                rank = Math.max(rank, t.rank());
                maxDim = Math.max(maxDim, maxDim(t.shape()));
            }
            for (Value v : n.outputs()) {
                if (v.name().isEmpty()) continue;
                TensorType t = typeOf.apply(v);
                if (t == null || !t.isStatic()) continue;
                outs.add(fusedName(g, v));
                if (isConstant.test(v)) continue;
                long b = t.byteSize();
                // A float op that feeds QuantizeLinear writes int8 once fused.
                if (dtype != null && dtype.endsWith("int8") && t.dtype().isFloating()) b = t.shape().numel();
                outBytes += b;
                elements = Math.max(elements, t.shape().numel());
                if (dtype == null) dtype = dtypeName(t.dtype());
                rank = Math.max(rank, t.rank());
                maxDim = Math.max(maxDim, maxDim(t.shape()));
            }
            if (n.opType().equals("QuantizeLinear") && outT.length > 0 && outT[0] != null) dtype = dtypeName(outT[0].dtype());
            long stride = 1;
            if (n.hasAttr("strides")) for (long s : n.attrInts("strides", new long[0])) stride = Math.max(stride, s);
            out.add(new Layer(n.name().isEmpty() ? n.opType() + "_" + out.size() : n.name(), n.opType(),
                    dtype == null ? "float32" : dtype, m, elements, inBytes, outBytes, weights, stride, batch, maxDim, rank, ins, outs));
        }
        return out;
    }

    /**
     * QDQ nodes a deployment fuses into integer kernels: every DequantizeLinear (its consumer reads
     * the quantized tensor) and a QuantizeLinear of a computed value (its producer writes int8).
     * A QuantizeLinear of a graph input is real work and stays.
     */
    static boolean fusedAway(Node n) {
        if (n.opType().equals("DequantizeLinear")) return true;
        if (n.opType().equals("QuantizeLinear") && n.input(0) != null) {
            Node p = n.input(0).producer();
            return p != null && !p.opType().equals("DequantizeLinear");
        }
        return false;
    }

    /** The name a fused producer's output goes by: that of the QuantizeLinear folded into it. */
    static String fusedName(Graph g, Value v) {
        for (Node u : g.uses(v)) if (u.opType().equals("QuantizeLinear") && fusedAway(u)) return u.output(0).name();
        return v.name();
    }

    /** Looks through DequantizeLinear to the quantized value a fused kernel actually reads. */
    static Value source(Value v, Predicate<Value> isConstant) {
        Node p = v.producer();
        if (p != null && p.opType().equals("DequantizeLinear") && p.input(0) != null) return p.input(0);
        return v;
    }

    private static long maxDim(Shape s) {
        long m = 0;
        for (int i = 0; i < s.rank(); i++) m = Math.max(m, s.dim(i).value());
        return m;
    }

    /**
     * The same layers as if every float tensor were quantized to int8 (4x smaller activations and
     * weights, int8 MAC rate): the "what would quantization buy" estimate.
     */
    public static List<Layer> asInt8(List<Layer> layers) {
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            if (!l.dtype().equals("float32")) {
                out.add(l);
                continue;
            }
            out.add(l.withDtype("int8", l.inBytes() / 4, l.outBytes() / 4, l.weightBytes() / 4));
        }
        return out;
    }
}
