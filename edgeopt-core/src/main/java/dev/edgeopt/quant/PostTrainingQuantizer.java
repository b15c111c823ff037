package dev.edgeopt.quant;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.passes.CollapseReshapes;
import dev.edgeopt.passes.CollapseTransposes;
import dev.edgeopt.passes.EliminateDeadCode;
import dev.edgeopt.passes.FoldBatchNorm;
import dev.edgeopt.passes.FoldBiasAdd;
import dev.edgeopt.passes.FoldChannelScale;
import dev.edgeopt.passes.FoldConstants;
import dev.edgeopt.passes.MatMulAddToGemm;
import dev.edgeopt.passes.OpsetUpgrade;
import dev.edgeopt.passes.PassManager;
import dev.edgeopt.passes.RemoveNoOps;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Static post-training quantization of a float graph into standard ONNX QDQ form, as ONNX Runtime
 * and the integer lowering read it:
 * <ul>
 *   <li>weights of Conv, Gemm and MatMul: int8, symmetric ({@code [-127, 127]}, zero point 0),
 *       per output channel by default, behind a DequantizeLinear with that channel's axis;</li>
 *   <li>biases: int32 with scale {@code s_in * s_w[c]} and zero point 0, so the integer kernel adds
 *       them to its accumulator unscaled;</li>
 *   <li>activations: int8 (or uint8) asymmetric, one QuantizeLinear/DequantizeLinear pair per tensor, with
 *       ranges calibrated by the Java engine. A Relu/Clip that alone consumes a Conv/Gemm/Add
 *       output is fused: only its output is quantized, as TFLite's fused activations do. Data
 *       movement (Reshape, Flatten, MaxPool...) keeps its input's parameters, so it stays exact.
 *       A Softmax output is not calibrated: it gets {@link #softmaxParams} (1/256).</li>
 * </ul>
 * Ops the quantizer does not know stay float, with a warning naming them.
 */
public final class PostTrainingQuantizer {
    /** Settings; {@link #defaults()} are the CLI's. */
    public record Options(RangeMethod method, double percentile, boolean perChannel, int samples, long seed, int threads, DType activationType,
                          boolean biasCorrection, boolean crossLayerEqualization) {
        public static Options defaults() { return new Options(RangeMethod.PERCENTILE, 99.99, true, 1000, 0, 1, DType.INT8, false, false); }

        public Options withMethod(RangeMethod m) { return new Options(m, percentile, perChannel, samples, seed, threads, activationType, biasCorrection, crossLayerEqualization); }

        public Options withPercentile(double p) { return new Options(method, p, perChannel, samples, seed, threads, activationType, biasCorrection, crossLayerEqualization); }

        public Options withPerChannel(boolean p) { return new Options(method, percentile, p, samples, seed, threads, activationType, biasCorrection, crossLayerEqualization); }

        public Options withSamples(int n) { return new Options(method, percentile, perChannel, n, seed, threads, activationType, biasCorrection, crossLayerEqualization); }

        public Options withThreads(int t) { return new Options(method, percentile, perChannel, samples, seed, t, activationType, biasCorrection, crossLayerEqualization); }

        public Options withBiasCorrection(boolean b) { return new Options(method, percentile, perChannel, samples, seed, threads, activationType, b, crossLayerEqualization); }

        public Options withActivationType(DType t) { return new Options(method, percentile, perChannel, samples, seed, threads, t, biasCorrection, crossLayerEqualization); }

        public Options withCrossLayerEqualization(boolean c) { return new Options(method, percentile, perChannel, samples, seed, threads, activationType, biasCorrection, c); }
    }

    /** One quantized activation: the float tensor, its parameters and the value consumers now read. */
    public record Activation(String tensor, String producer, String opType, QuantParams params, String dequantized) {}

    /**
     * The result. {@code prepared} is the float graph after BN folding (the reference the quantized
     * graph is compared with); {@code qdq} is the quantized graph.
     */
    public record Result(Graph prepared, Graph qdq, List<Activation> activations, List<String> warnings) {}

    private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul");
    private static final Set<String> ARITHMETIC = Set.of("Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool", "Relu", "Clip", "Sub");
    /** Ops whose output holds (a subset of) input 0's values: they keep its parameters. */
    private static final Set<String> MOVEMENT = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", "MaxPool", "GlobalMaxPool");
    private static final Set<String> FUSIBLE = Set.of("Relu", "Clip");

    private PostTrainingQuantizer() {}

    /**
     * The fixed quantization of a Softmax output, TFLite's convention (and ONNX Runtime's quantizer's):
     * scale 1/256 with the type's minimum as zero point (int8 -128, uint8 0), so [0, 1) is covered in
     * 256 equal steps and 0 is exact. Calibrating it would only give a coarser grid for a range known
     * in advance, and QLinearSoftmax needs scale 1/k.
     */
    public static QuantParams softmaxParams(DType t) { return new QuantParams(1f / 256, (int) QuantMath.qmin(t), t); }

    /** Whether an op only moves or selects its input's values (so it shares its quantization). */
    public static boolean isMovement(String opType) { return MOVEMENT.contains(opType); }

    /** BN folding and cleanups that keep standard ONNX ops (no edgeopt fused ops), before quantization. */
    public static Graph prepare(Graph g) {
        return new PassManager(List.of(new RemoveNoOps(), new FoldConstants(), new CollapseTransposes(), new CollapseReshapes(),
                new RemoveNoOps(), new MatMulAddToGemm(), new FoldBiasAdd(), new FoldChannelScale(), new FoldBatchNorm(),
                new FoldBiasAdd(), new FoldChannelScale(), new EliminateDeadCode())).run(g).graph();
    }

    /**
     * {@link #prepare} raised to opset {@value #QDQ_OPSET} (per-axis DequantizeLinear needs it) and
     * typed. The raise comes first, so calibration and the QDQ rewrite see the nodes that will be
     * written (a pre-13 Softmax over several axes becomes Flatten -> Softmax -> Reshape).
     */
    static Graph prepareRaised(Graph model) {
        Graph g = prepare(model);
        ShapeInference.annotate(g, null);
        if (g.opset() < QDQ_OPSET) {
            OpsetUpgrade.raise(g, QDQ_OPSET);
            ShapeInference.annotate(g, null);
        }
        return g;
    }

    /** The opset every quantized model has at least: per-axis QuantizeLinear/DequantizeLinear came with 13. */
    static final int QDQ_OPSET = 13;

    /**
     * Quantizes {@code model} with activation ranges from {@code options.samples()} samples of
     * {@code data} (a seeded permutation's first ones).
     */
    public static Result quantize(Graph model, Dataset data, Options options) { return quantize(model, data, options, Set.of(), new HashMap<>()); }

    /**
     * As {@link #quantize(Graph, Dataset, Options)}, but the Conv/Gemm/MatMul nodes named in
     * {@code floatNodes} keep float weights and compute in float (their inputs stay quantized when
     * their producer's output is). {@code histograms} caches calibration per tensor name across
     * calls on the same model, data and options: a tensor's float range does not depend on which
     * layers are quantized.
     */
    static Result quantize(Graph model, Dataset data, Options options, Set<String> floatNodes, Map<String, Histogram> histograms) {
        if (options.samples() < 1) throw new EdgeoptException("--calib-samples must be at least 1, got " + options.samples());
        Calibrator.checkInput(model, data);
        Graph g = prepareRaised(model);
        checkWeights(g);
        // Equalized before calibration: the ranges to calibrate are those of the equalized graph.
        if (options.crossLayerEqualization()) CrossLayerEqualization.apply(g);
        List<String> warnings = new ArrayList<>();
        Map<Value, Node> fusedInto = new HashMap<>();
        Set<Value> quantized = new LinkedHashSet<>();
        // Softmax outputs lie in [0, 1): their parameters are fixed, not calibrated (see softmaxParams).
        Set<Value> softmaxOut = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            String op = n.opType();
            if (WEIGHTED.contains(op) && floatNodes.contains(n.name())) {
                // Its Relu goes with it: marked fused, so neither output is quantized for its sake.
                fusedOutput(g, n, fusedInto);
            } else if (WEIGHTED.contains(op)) {
                if (op.equals("MatMul") && !(n.input(1).isConstant() && n.input(1).shape().rank() == 2)) {
                    warnings.add("MatMul " + n.name() + " has no constant 2-D weight; it stays float");
                    continue;
                }
                if (op.equals("Gemm") && (!n.input(1).isConstant() || n.attrInt("transA", 0) != 0)) {
                    warnings.add("Gemm " + n.name() + " has no constant weight or a transposed A; it stays float");
                    continue;
                }
                addIfFloat(quantized, n.input(0));
                quantized.add(fusedOutput(g, n, fusedInto));
            } else if (ARITHMETIC.contains(op)) {
                if (FUSIBLE.contains(op) && fusedInto.containsValue(n)) continue;
                for (Value v : n.inputs()) if (v != null && !v.isConstant()) addIfFloat(quantized, v);
                if (op.equals("Add") || op.equals("Sub") || op.equals("Mul")) {
                    for (Value v : n.inputs()) {
                        if (v != null && v.isConstant() && v.dtype() == DType.FLOAT) {
                            warnings.add(op + " " + n.name() + " has a constant operand; it stays float");
                        }
                    }
                }
                quantized.add(op.equals("Relu") || op.equals("Clip") ? n.output(0) : fusedOutput(g, n, fusedInto));
            } else if (op.equals("Softmax")) {
                addIfFloat(quantized, n.input(0));
                quantized.add(n.output(0));
                softmaxOut.add(n.output(0));
            } else if (MOVEMENT.contains(op)) {
                // Parameters follow the input: nothing to calibrate.
            } else if (n.outputs().stream().anyMatch(v -> v.dtype() == DType.FLOAT)) {
                warnings.add("op " + op + " (node " + n.name() + ") is not quantized; it stays float");
            }
        }
        // Float model inputs are always quantized (an integer engine reads int8 from the start).
        Set<Value> all = new LinkedHashSet<>();
        for (Value v : g.inputs()) addIfFloat(all, v);
        all.addAll(quantized);
        quantized = all;
        quantized.removeIf(v -> v.isConstant() || v.dtype() != DType.FLOAT);
        // Outputs of movement ops over quantized values share their input's parameters (set in
        // rewrite): they are not calibrated on their own.
        for (Node n : g.nodes()) {
            if (MOVEMENT.contains(n.opType()) && quantized.contains(n.input(0))) quantized.remove(n.output(0));
        }
        List<String> names = new ArrayList<>();
        for (Value v : quantized) if (!softmaxOut.contains(v)) names.add(v.name());
        int[] perm = Dataset.permutation(data.size(), options.seed());
        int[] idx = java.util.Arrays.copyOf(perm, Math.min(options.samples(), data.size()));
        List<String> missing = names.stream().filter(t -> !histograms.containsKey(t)).toList();
        if (!missing.isEmpty()) histograms.putAll(Calibrator.observe(g, missing, data, idx, options.threads()));
        Map<String, Histogram> hist = histograms;
        Map<Value, QuantParams> params = new LinkedHashMap<>();
        for (Value v : quantized) {
            if (softmaxOut.contains(v)) {
                params.put(v, softmaxParams(options.activationType()));
                continue;
            }
            // The model input's range is the data's own (pixels in [0, 1]): clipping it only
            // saturates pixels. Clipping the model output saturates the largest logits, the ones
            // the argmax picks. Both keep min/max.
            RangeMethod m = g.isGraphInput(v) || g.isGraphOutput(v) ? RangeMethod.MINMAX : options.method();
            double[] r = m.select(hist.get(v.name()), options.percentile(), options.activationType());
            params.put(v, QuantParams.asymmetric(r[0], r[1], options.activationType()));
        }
        Graph prepared = g.copy();
        List<Activation> acts = rewrite(g, params, options, warnings, floatNodes);
        // The float weights are now unused: dropping them is what makes the model 4x smaller.
        g.removeUnusedValues();
        if (options.biasCorrection()) correctBiases(prepared, g, data, java.util.Arrays.copyOf(idx, Math.min(idx.length, BIAS_SAMPLES)), options.threads());
        Map<String, String> md = g.metadata();
        md.put("edgeopt.quantization", "static int8 QDQ");
        md.put("edgeopt.quant.method", options.method() + (options.method() == RangeMethod.PERCENTILE ? " " + options.percentile() : ""));
        md.put("edgeopt.quant.weights", options.perChannel() ? "int8 symmetric per-channel" : "int8 symmetric per-tensor");
        md.put("edgeopt.quant.activations", options.activationType().toString().toLowerCase(Locale.ROOT) + " asymmetric");
        md.put("edgeopt.quant.calibration_data", data.name());
        md.put("edgeopt.quant.calibration_samples", Integer.toString(idx.length));
        md.put("edgeopt.quant.seed", Long.toString(options.seed()));
        md.put("edgeopt.quant.bias_correction", Boolean.toString(options.biasCorrection()));
        md.put("edgeopt.quant.cross_layer_equalization", Boolean.toString(options.crossLayerEqualization()));
        if (!floatNodes.isEmpty()) md.put("edgeopt.quant.float_layers", String.join(",", new java.util.TreeSet<>(floatNodes)));
        dropDefaultAttributes(g);
        ShapeInference.annotate(g, null);
        ShapeInference.verify(g);
        return new Result(prepared, g, acts, warnings);
    }

    /**
     * Removes Conv attributes that equal ONNX's defaults (strides and dilations 1, pads 0, group 1,
     * auto_pad NOTSET): the int8 file is a quarter of the float one, so their ~30 bytes per Conv
     * count, and every reader applies the same defaults.
     */
    static void dropDefaultAttributes(Graph g) {
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Conv") || !n.domain().isEmpty()) continue;
            for (String a : List.of("strides", "dilations", "pads")) {
                long[] v = n.attrInts(a, null);
                if (v == null) continue;
                long dflt = a.equals("pads") ? 0 : 1;
                boolean all = true;
                for (long x : v) all &= x == dflt;
                if (all) n.removeAttr(a);
            }
            if (n.hasAttr("group") && n.attrInt("group", 1) == 1) n.removeAttr("group");
            if (n.hasAttr("auto_pad") && "NOTSET".equals(n.attrString("auto_pad", null))) n.removeAttr("auto_pad");
        }
    }

    private static void addIfFloat(Set<Value> s, Value v) {
        if (v != null && v.dtype() == DType.FLOAT) s.add(v);
    }

    /** The output to quantize for a node: its own, or that of a Relu/Clip it alone feeds. */
    private static Value fusedOutput(Graph g, Node n, Map<Value, Node> fusedInto) {
        Value out = n.output(0);
        List<Node> uses = g.uses(out);
        if (uses.size() == 1 && FUSIBLE.contains(uses.get(0).opType()) && !g.isGraphOutput(out) && uses.get(0).input(0) == out) {
            fusedInto.put(out, uses.get(0));
            return uses.get(0).output(0);
        }
        return out;
    }

    /** Every float constant a node reads (weights, biases, Add/Mul operands) must be finite. */
    private static void checkWeights(Graph g) {
        Set<Value> seen = new java.util.HashSet<>();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.inputCount(); i++) {
                Value w = n.input(i);
                if (w == null || !w.isConstant() || w.dtype() != DType.FLOAT || !seen.add(w)) continue;
                float[] a = w.constant().toFloatArray();
                for (int k = 0; k < a.length; k++) {
                    if (!Float.isFinite(a[k])) throw new EdgeoptException("weight " + w.name() + " of node " + n.name() + " holds " + a[k] + " at element " + k);
                }
            }
        }
    }

    private static List<Activation> rewrite(Graph g, Map<Value, QuantParams> params, Options o, List<String> warnings, Set<String> floatNodes) {
        // Propagate parameters through movement ops, in topological order.
        for (Node n : new ArrayList<>(g.nodes())) {
            if (MOVEMENT.contains(n.opType()) && params.containsKey(n.input(0)) && n.output(0).dtype() == DType.FLOAT) {
                params.put(n.output(0), params.get(n.input(0)));
            }
        }
        Map<Value, Value> dqOf = new LinkedHashMap<>();
        // Zero points repeat (every Relu output has qmin) and so do scales (a movement op's output
        // has its input's): one shared initializer per distinct value.
        Map<String, Value> zeroPoints = new HashMap<>();
        Map<Integer, Value> scales = new HashMap<>();
        List<Activation> acts = new ArrayList<>();
        for (Map.Entry<Value, QuantParams> e : params.entrySet()) {
            Value v = e.getKey();
            QuantParams p = e.getValue();
            List<Node> uses = g.uses(v);
            boolean isOut = g.isGraphOutput(v);
            String base = v.name();
            // Named after the node that computes the tensor ("relu3.q", "relu3.s", "relu3.dq"):
            // shorter than the tensor's own name, and names repeat in every node that reads them.
            Node producer = v.producer();
            String nb = producer != null && producer.outputCount() == 1 && !isOut ? producer.name() : base;
            Value scale = scales.computeIfAbsent(Float.floatToIntBits(p.scale()), k -> g.addInitializer(g.uniqueName(nb + ".s"), Tensor.of(new float[] {p.scale()})));
            // Written even when it is uint8 0, ONNX's default: without it ONNX Runtime 1.23's
            // optimizer fails on the model ("two nodes with same node name").
            Value zp = zeroPoints.computeIfAbsent(p.dtype() + "/" + p.zeroPoint(), k -> g.addInitializer(
                    g.uniqueName("zp" + (p.dtype() == DType.INT8 ? "" : p.dtype() == DType.UINT8 ? "u8" : p.dtype().toString().toLowerCase(Locale.ROOT)) + "_"
                            + (p.zeroPoint() < 0 ? "m" + -p.zeroPoint() : p.zeroPoint())), zeroPoint(p)));
            Node anchor = v.producer();
            int at = anchor == null ? 0 : g.nodes().indexOf(anchor) + 1;
            Node q = g.insertNode(at, "QuantizeLinear", "", g.uniqueName(nb + ".Q"), List.of(v, scale, zp), List.of(g.uniqueName(nb + ".q")));
            Node dq = g.insertNode(at + 1, "DequantizeLinear", "", g.uniqueName(nb + ".DQ"), List.of(q.output(0), scale, zp), List.of(g.uniqueName(nb + ".dq")));
            for (Node u : uses) {
                for (int i = 0; i < u.inputCount(); i++) if (u.input(i) == v) u.setInput(i, dq.output(0));
            }
            if (isOut) {
                // Keep the graph output's name on the dequantized value.
                String outName = v.name();
                g.rename(v, g.uniqueName(outName + "_float"));
                g.rename(dq.output(0), outName);
                for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == v) g.setOutput(i, dq.output(0));
            }
            dqOf.put(v, dq.output(0));
            Node prod = v.producer();
            acts.add(new Activation(base, prod == null ? "(input)" : prod.name(), prod == null ? "Input" : prod.opType(), p, dq.output(0).name()));
        }
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!WEIGHTED.contains(n.opType()) || floatNodes.contains(n.name())) continue;
            Value x = n.input(0);
            Value src = x.producer() != null && x.producer().opType().equals("DequantizeLinear") ? x.producer().input(0).producer().input(0) : null;
            QuantParams in = src == null ? null : params.get(src);
            if (in == null) {
                warnings.add(n.opType() + " " + n.name() + " reads an unquantized input; it stays float");
                continue;
            }
            quantizeWeights(g, n, in, x.producer().input(1), o);
        }
        return acts;
    }

    /**
     * Weight-only quantization: the weights of Conv, Gemm and MatMul are stored as int8 (symmetric,
     * per channel unless {@code perChannel} is false) behind a DequantizeLinear, or as float16
     * behind a Cast; activations and biases stay float. No calibration data is needed.
     */
    public static Result weightsOnly(Graph model, DType type, boolean perChannel) {
        if (type != DType.INT8 && type != DType.FLOAT16) throw new EdgeoptException("weight-only quantization is to int8 or fp16, not " + type);
        Graph g = prepareRaised(model);
        checkWeights(g);
        Graph prepared = g.copy();
        List<String> warnings = new ArrayList<>();
        Options o = Options.defaults().withPerChannel(perChannel);
        Map<Value, Value> done = new HashMap<>();
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!WEIGHTED.contains(n.opType())) continue;
            Value w = n.input(1);
            if (w == null || !w.isConstant() || w.dtype() != DType.FLOAT || (n.opType().equals("MatMul") && w.shape().rank() != 2)) {
                warnings.add(n.opType() + " " + n.name() + " has no constant float weight; it stays float");
                continue;
            }
            if (type == DType.INT8) {
                quantizeWeights(g, n, null, null, o);
                continue;
            }
            Value cast = done.get(w);
            if (cast == null) {
                Value half = g.addInitializer(g.uniqueName(w.name() + "_fp16"), w.constant().cast(DType.FLOAT16));
                Node c = g.insertBefore(n, "Cast", g.uniqueName(w.name() + "_C"), List.of(half), List.of(g.uniqueName(w.name() + "_fp32")));
                c.setAttr("to", Attribute.of((long) DType.FLOAT.onnxCode()));
                cast = c.output(0);
                done.put(w, cast);
            }
            n.setInput(1, cast);
        }
        g.removeUnusedValues();
        g.metadata().put("edgeopt.quantization", "weight-only " + (type == DType.INT8 ? "int8" : "fp16"));
        if (type == DType.INT8) g.metadata().put("edgeopt.quant.weights", perChannel ? "int8 symmetric per-channel" : "int8 symmetric per-tensor");
        ShapeInference.annotate(g, null);
        ShapeInference.verify(g);
        return new Result(prepared, g, List.of(), warnings);
    }

    /**
     * Dynamic quantization of Gemm and MatMul (ONNX Runtime's form): weights int8 symmetric per
     * output column (or per tensor), stored as [K, N]; at run time DynamicQuantizeLinear turns the
     * input into uint8 with its own scale and zero point, MatMulInteger accumulates exactly in int32,
     * and the product is scaled back by {@code s_x * s_w[n]} in float before the float bias. Convs
     * and everything else stay float. No calibration data is needed.
     */
    public static Result dynamic(Graph model, boolean perChannel) {
        Graph g = prepareRaised(model);
        checkWeights(g);
        Graph prepared = g.copy();
        List<String> warnings = new ArrayList<>();
        int done = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            String op = n.opType();
            if (!op.equals("Gemm") && !op.equals("MatMul")) continue;
            Value w = n.input(1);
            boolean ok = w != null && w.isConstant() && w.dtype() == DType.FLOAT && w.shape().rank() == 2 && n.input(0).dtype() == DType.FLOAT;
            if (op.equals("Gemm")) {
                ok &= n.attrInt("transA", 0) == 0 && n.attrFloat("alpha", 1f) == 1f && n.attrFloat("beta", 1f) == 1f;
                ok &= !n.hasInput(2) || (n.input(2).isConstant() && n.input(2).shape().rank() == 1);
            }
            if (!ok) {
                warnings.add(op + " " + n.name() + " has no constant 2-D weight (or a transposed A, alpha/beta != 1); it stays float");
                continue;
            }
            float[] wf = w.constant().toFloatArray();
            int[] ws = w.constant().shape();
            boolean transB = op.equals("Gemm") && n.attrInt("transB", 0) != 0;
            int k = transB ? ws[1] : ws[0], cols = transB ? ws[0] : ws[1];
            float[] kn = new float[k * cols];
            for (int i = 0; i < k; i++) for (int j = 0; j < cols; j++) kn[i * cols + j] = transB ? wf[j * k + i] : wf[i * cols + j];
            float[] absMax = new float[perChannel ? cols : 1];
            for (int i = 0; i < kn.length; i++) {
                int c = perChannel ? i % cols : 0;
                absMax[c] = Math.max(absMax[c], Math.abs(kn[i]));
            }
            float[] scale = new float[cols];
            for (int j = 0; j < cols; j++) {
                float m = absMax[perChannel ? j : 0];
                scale[j] = m == 0 ? 1f : m / 127f;
            }
            byte[] q = new byte[kn.length];
            for (int i = 0; i < kn.length; i++) q[i] = (byte) dev.edgeopt.engine.kernels.QuantMath.quantize(kn[i], scale[i % cols], 0, -127, 127);
            String base = w.name();
            Value wq = g.addInitializer(g.uniqueName(base + "_i8"), Tensor.of(DType.INT8, q, k, cols));
            Value wz = g.addInitializer(g.uniqueName(base + "_zp"), perChannel ? Tensor.of(DType.INT8, new byte[cols], cols) : Tensor.allocate(DType.INT8));
            Value wsv = g.addInitializer(g.uniqueName(base + "_s"), Tensor.of(scale, cols));
            Value out = n.output(0);
            String outName = out.name();
            g.rename(out, g.uniqueName(outName + "_float"));
            String nn = n.name();
            Node dq = g.insertBefore(n, "DynamicQuantizeLinear", g.uniqueName(nn + "_dynq"), List.of(n.input(0)),
                    List.of(g.uniqueName(nn + "_xq"), g.uniqueName(nn + "_xs"), g.uniqueName(nn + "_xzp")));
            Node mm = g.insertBefore(n, "MatMulInteger", g.uniqueName(nn + "_mmi"), List.of(dq.output(0), wq, dq.output(2), wz), List.of(g.uniqueName(nn + "_acc")));
            Node cast = g.insertBefore(n, "Cast", g.uniqueName(nn + "_cast"), List.of(mm.output(0)), List.of(g.uniqueName(nn + "_accf")));
            cast.setAttr("to", Attribute.of((long) DType.FLOAT.onnxCode()));
            Node sc = g.insertBefore(n, "Mul", g.uniqueName(nn + "_scale"), List.of(dq.output(1), wsv), List.of(g.uniqueName(nn + "_ys")));
            boolean bias = op.equals("Gemm") && n.hasInput(2);
            Node mul = g.insertBefore(n, "Mul", g.uniqueName(nn + "_rescale"), List.of(cast.output(0), sc.output(0)),
                    List.of(bias ? g.uniqueName(nn + "_y") : outName));
            Value result = mul.output(0);
            if (bias) result = g.insertBefore(n, "Add", g.uniqueName(nn + "_bias"), List.of(mul.output(0), n.input(2)), List.of(outName)).output(0);
            g.replaceAllUses(out, result);
            g.removeNode(n);
            done++;
        }
        if (done == 0) warnings.add("no Gemm or MatMul with a constant weight: nothing was quantized");
        g.removeUnusedValues();
        g.metadata().put("edgeopt.quantization", "dynamic int8 (uint8 activations at run time)");
        g.metadata().put("edgeopt.quant.weights", perChannel ? "int8 symmetric per-column" : "int8 symmetric per-tensor");
        ShapeInference.annotate(g, null);
        ShapeInference.verify(g);
        return new Result(prepared, g, List.of(), warnings);
    }

    /** Samples for bias correction: per-channel means settle long before calibration's 1000. */
    static final int BIAS_SAMPLES = 200;

    /**
     * Empirical bias correction (Nagel et al., 2019): quantizing weights and inputs shifts the mean
     * of each output channel of a Conv/Gemm; the shift, measured on calibration samples as
     * {@code E[y_float] - E[y_quantized]} per channel, is added to the bias before it is
     * requantized, one layer at a time in graph order.
     */
    static void correctBiases(Graph prepared, Graph qdq, Dataset data, int[] idx, int threads) {
        // Nodes keep their names through rewriting (values may not: a graph output is renamed).
        Map<String, Node> floatNodes = new HashMap<>();
        for (Node n : prepared.nodes()) floatNodes.put(n.name(), n);
        List<Node> targets = new ArrayList<>();
        for (Node n : qdq.nodes()) {
            Node fn = floatNodes.get(n.name());
            if ((n.opType().equals("Conv") || n.opType().equals("Gemm")) && n.hasInput(2) && n.input(2).producer() != null
                    && n.input(2).producer().opType().equals("DequantizeLinear") && fn != null && fn.hasInput(2) && fn.input(2).isConstant()) targets.add(n);
        }
        if (targets.isEmpty()) return;
        Graph f = prepared.copy(), q = qdq.copy();
        f.clearOutputs();
        for (Node n : targets) f.addOutput(f.value(floatNodes.get(n.name()).output(0).name()));
        double[][] floatMean = channelMeans(f, data, idx, threads);
        // Layer by layer, each measured after the ones before it were corrected: measuring all at
        // once would correct a layer for its inputs' shift, which the earlier layers then remove.
        for (int t = 0; t < targets.size(); t++) {
            Node n = targets.get(t);
            Graph probe = q.copy();
            probe.clearOutputs();
            probe.addOutput(probe.value(n.output(0).name()));
            double[] quantMean = channelMeans(probe, data, idx, threads)[0];
            Node bdq = n.input(2).producer();
            Tensor bq = bdq.input(0).constant(), bs = biasScale(bdq.input(1));
            int c = quantMean.length;
            if (bq.size() != c || bs == null) continue;
            float[] bf = floatNodes.get(n.name()).input(2).constant().toFloatArray();
            int[] nb = new int[c];
            for (int k = 0; k < c; k++) {
                double v = Math.rint((bf[k] + floatMean[t][k] - quantMean[k]) / (double) bs.getFloat(bs.size() == 1 ? 0 : k));
                nb[k] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
            }
            qdq.setConstant(bdq.input(0), Tensor.ofInts(nb, c));
            q.setConstant(q.value(bdq.input(0).name()), Tensor.ofInts(nb, c));
        }
    }

    /**
     * A bias scale: a constant, or the Mul of the input scale and the per-channel weight scales
     * that {@link #quantizeWeights} writes (evaluated here as the Mul kernel would); else null.
     */
    static Tensor biasScale(Value v) {
        if (v.isConstant()) return v.constant();
        Node p = v.producer();
        if (p == null || !p.opType().equals("Mul") || !p.input(0).isConstant() || !p.input(1).isConstant()) return null;
        Tensor a = p.input(0).constant(), b = p.input(1).constant();
        if (a.size() != 1) return null;
        float[] out = b.toFloatArray();
        for (int i = 0; i < out.length; i++) out[i] = a.getFloat(0) * out[i];
        return Tensor.of(out, out.length);
    }

    /** Per-output, per-channel (dim 1) means over the samples and positions. */
    private static double[][] channelMeans(Graph g, Dataset data, int[] idx, int threads) {
        double[][] sum = new double[g.outputs().size()][];
        long[] count = new long[sum.length];
        try (dev.edgeopt.engine.Executor ex = new dev.edgeopt.engine.Executor(g, threads)) {
            for (int s = 0; s < idx.length; s += Calibrator.BATCH) {
                Tensor[] ys = ex.run(Calibrator.batch(data, idx, s, Math.min(Calibrator.BATCH, idx.length - s)));
                for (int t = 0; t < ys.length; t++) {
                    int c = ys[t].dim(1), inner = ys[t].size() / ys[t].dim(0) / c;
                    if (sum[t] == null) sum[t] = new double[c];
                    float[] a = ys[t].toFloatArray();
                    for (int i = 0; i < a.length; i++) sum[t][(i / inner) % c] += a[i];
                    count[t] += (long) ys[t].dim(0) * inner;
                }
            }
        }
        for (int t = 0; t < sum.length; t++) for (int k = 0; k < sum[t].length; k++) sum[t][k] /= count[t];
        return sum;
    }

    private static Tensor zeroPoint(QuantParams p) {
        Tensor t = Tensor.allocate(p.dtype());
        t.setLong(0, p.zeroPoint());
        return t;
    }

    /** Weight per-channel axis for each op: the output-channel dimension of the weight tensor. */
    private static int weightAxis(Node n) {
        return switch (n.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> n.attrInt("transB", 0) != 0 ? 0 : 1;
            default -> 1; // MatMul: [K, N]
        };
    }

    /**
     * {@code inScale} is the value holding the input's scale (the bias scale is computed from it),
     * null when activations stay float.
     */
    private static void quantizeWeights(Graph g, Node n, QuantParams in, Value inScale, Options o) {
        Value w = n.input(1);
        Tensor wt = w.constant().cast(DType.FLOAT);
        int[] shape = wt.shape();
        int axis = weightAxis(n);
        int channels = shape[axis];
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] a = wt.toFloatArray();
        float[] absMax = new float[o.perChannel() ? channels : 1];
        for (int i = 0; i < a.length; i++) {
            int c = o.perChannel() ? (i / inner) % channels : 0;
            absMax[c] = Math.max(absMax[c], Math.abs(a[i]));
        }
        float[] scale = new float[absMax.length];
        for (int c = 0; c < scale.length; c++) scale[c] = absMax[c] == 0 ? 1f : absMax[c] / 127f;
        byte[] q = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            int c = o.perChannel() ? (i / inner) % channels : 0;
            q[i] = (byte) dev.edgeopt.engine.kernels.QuantMath.quantize(a[i], scale[c], 0, -127, 127);
        }
        // Named after the node: "conv1.wq" (int8), "conv1.ws" (scale), "conv1.w" (what Conv reads);
        // the float weight's name ("conv1.weight_bn") would be repeated in five places.
        String base = n.name() + ".w";
        Value wq = g.addInitializer(g.uniqueName(base + "q"), Tensor.of(DType.INT8, q, shape));
        Value ws = g.addInitializer(g.uniqueName(base + "s"), o.perChannel() ? Tensor.of(scale, channels) : Tensor.of(scale));
        // Symmetric, so the zero point is 0, DequantizeLinear's default, and a Conv weight goes
        // without one. Gemm/MatMul weights keep it: ORT's QGemm fusion rejects a DequantizeLinear
        // without a zero point (the int8 tensor's dtype alone does not satisfy it).
        List<Value> dqIns;
        if (n.opType().equals("Conv")) {
            dqIns = List.of(wq, ws);
        } else {
            Value wz = g.addInitializer(g.uniqueName(base + "z"), o.perChannel() ? Tensor.of(DType.INT8, new byte[channels], channels) : Tensor.allocate(DType.INT8));
            dqIns = List.of(wq, ws, wz);
        }
        Node dq = g.insertBefore(n, "DequantizeLinear", g.uniqueName(base + "DQ"), dqIns, List.of(g.uniqueName(base)));
        if (o.perChannel()) dq.setAttr("axis", Attribute.of((long) axis));
        n.setInput(1, dq.output(0));
        // Bias: int32 at scale s_in * s_w[c], zero point 0 (float when activations stay float).
        int bi = n.opType().equals("MatMul") ? -1 : 2;
        if (in == null || bi < 0 || !n.hasInput(bi) || !n.input(bi).isConstant()) return;
        Value b = n.input(bi);
        float[] bf = b.constant().cast(DType.FLOAT).toFloatArray();
        if (bf.length != channels || b.shape().rank() != 1) return;
        float[] bs = new float[channels];
        int[] bq = new int[channels];
        for (int c = 0; c < channels; c++) {
            bs[c] = in.scale() * scale[o.perChannel() ? c : 0];
            double v = Math.rint(bf[c] / (double) bs[c]);
            bq[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }
        String bb = n.name() + ".b";
        Value bqv = g.addInitializer(g.uniqueName(bb + "q"), Tensor.ofInts(bq, channels));
        // Per-tensor weights give every channel the same bias scale: one scalar, not C copies.
        // Per channel, the scale s_in * s_w[c] is written as that product, a Mul of the two
        // initializers, rather than stored: C floats cost 4C bytes (2.7% of dscnn's file), the Mul
        // about 40. The float product is exactly bs[c] above (one IEEE multiply either way), and
        // ONNX Runtime folds it into a constant before it fuses the group into QLinearConv.
        Value bsv;
        if (o.perChannel()) {
            bsv = g.insertBefore(n, "Mul", g.uniqueName(bb + "sMul"), List.of(inScale, ws), List.of(g.uniqueName(bb + "s"))).output(0);
        } else {
            bsv = g.addInitializer(g.uniqueName(bb + "s"), Tensor.of(new float[] {bs[0]}));
        }
        // The bias zero point is omitted: 0 is ONNX's default for it.
        Node bdq = g.insertBefore(n, "DequantizeLinear", g.uniqueName(bb + "DQ"), List.of(bqv, bsv), List.of(g.uniqueName(bb)));
        if (o.perChannel()) bdq.setAttr("axis", Attribute.of(0L));
        n.setInput(bi, bdq.output(0));
    }
}
