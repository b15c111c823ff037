package dev.edgeopt.device;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.memory.GraphMemory;
import dev.edgeopt.ops.ShapeInference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Does a model fit a device, how fast does it run, how much energy does it take, and what runs on
 * the accelerator. Combines shape inference, the shared memory planner ({@link GraphMemory}), the
 * partitioner and the cost model.
 *
 * <p>Flash = weights + a code estimate; RAM = the planned arena + a runtime estimate. The two
 * estimates are edgeopt's own assumptions for its generated C (no interpreter): a fixed runtime
 * plus a per-op-type kernel for code, and a small per-tensor table for RAM. On Linux boards the
 * weights also live in RAM and the runtime is a shared-library process.
 */
public final class DeviceAnalysis {
    /** Generated C: startup, requantization helpers and arena management. Assumption. */
    static final long MCU_CODE_BASE = 12 * 1024;
    /** Generated C: one kernel per distinct op type (CMSIS-NN-sized). Assumption. */
    static final long MCU_CODE_PER_OP_TYPE = 3 * 1024;
    /** Static RAM besides the arena: stack and per-tensor descriptors. Assumption. */
    static final long MCU_RUNTIME_RAM = 2 * 1024;
    static final long MCU_RAM_PER_TENSOR = 16;
    /** A Linux inference process (runtime library, heap) besides model and arena. Assumption. */
    static final long LINUX_RUNTIME_RAM = 16L * 1024 * 1024;

    private DeviceAnalysis() {}

    /** One optimization and what it is estimated to buy. */
    public record Suggestion(String name, String detail, double latencyMsAfter, long flashBytesAfter, long ramBytesAfter) {}

    public record LayerReport(Layer layer, CostModel.Cost cost, boolean onAccelerator) {}

    public record Report(String model, Device device, boolean fits, boolean fitsFlash, boolean fitsRam,
                         long weightBytes, long flashBytes, long flashCapacity, long ramBytes, long ramCapacity,
                         long arenaBytes, long arenaLowerBound, long graphOrderArena, String orderName, long[] profile,
                         List<String> stepNames, double latencyMs, double transferMs, double energyUj,
                         List<LayerReport> layers, Partitioner.Result partition, List<Suggestion> suggestions,
                         long totalMacs) {
        public List<LayerReport> heaviest(int k) {
            List<LayerReport> l = new ArrayList<>(layers);
            l.sort(Comparator.comparingDouble((LayerReport r) -> -r.cost().seconds()));
            return l.subList(0, Math.min(k, l.size()));
        }
    }

    /**
     * @param shapes overrides for graph input shapes by input name (needed for dynamic dims)
     */
    public static Report analyze(Graph g, String modelName, Device d, Map<String, long[]> shapes) {
        Map<Value, TensorType> inputTypes = resolveInputs(g, modelName, shapes);
        ShapeInference.Options o = new ShapeInference.Options().inputTypes(inputTypes)
                .fold(Executor.evaluator(), 4096).mergeDeclared(false);
        ShapeInference.Result r = ShapeInference.run(g, o);
        for (Node n : g.nodes()) {
            for (Value v : n.outputs()) {
                if (v.name().isEmpty() || r.isConstant(v)) continue;
                TensorType t = r.type(v);
                if (t == null || !t.isStatic()) {
                    throw new EdgeoptException(modelName + ": node " + n.describe() + ": output '" + v.name() + "' has shape "
                            + (t == null ? "unknown" : t.shape()) + " that depends on input data; analysis needs static shapes");
                }
            }
        }
        return analyze(g, modelName, d, r::type, v -> v.isConstant() || r.isConstant(v),
                Workload::layers, r);
    }

    /** For callers (and tests) that type the graph themselves. */
    public static Report analyze(Graph g, String modelName, Device d, Function<Value, TensorType> typeOf,
                                 java.util.function.Predicate<Value> isConstant, dev.edgeopt.ops.MacsFn macs) {
        return analyze(g, modelName, d, typeOf, isConstant, (gg, order, rr) -> Workload.layers(gg, order, typeOf, isConstant, macs), null);
    }

    @FunctionalInterface
    interface LayerSource {
        List<Layer> layers(Graph g, List<Node> order, ShapeInference.Result r);
    }

    private static Report analyze(Graph g, String modelName, Device d, Function<Value, TensorType> typeOf0,
                                  java.util.function.Predicate<Value> isConstant0, LayerSource src, ShapeInference.Result r) {
        // Plan memory for the deployed form of a QDQ graph: quantized weights are constants, and
        // the float tensors around Q/DQ pairs are the int8 tensors the fused kernels exchange.
        boolean qdq = false;
        for (Node n : g.nodes()) if (n.opType().equals("DequantizeLinear") || n.opType().equals("QuantizeLinear")) qdq = true;
        Function<Value, TensorType> typeOf = qdq ? deployedTypes(g, typeOf0) : typeOf0;
        java.util.function.Predicate<Value> isConstant = !qdq ? isConstant0 : v -> isConstant0.test(v)
                || (v.producer() != null && v.producer().opType().equals("DequantizeLinear") && v.producer().input(0) != null && isConstant0.test(v.producer().input(0)));
        GraphMemory.Options mo = GraphMemory.Options.defaults();
        if (qdq) {
            Set<String> views = new HashSet<>(GraphMemory.VIEW_OPS);
            views.add("DequantizeLinear");
            views.add("QuantizeLinear");
            mo = mo.withViewOps(views);
        }
        GraphMemory.Result mem = GraphMemory.plan(g, typeOf, isConstant, mo);
        List<Layer> layers = src.layers(g, mem.order(), r);
        long weights = weightBytes(g, mem.order(), typeOf, isConstant);
        Set<String> opTypes = new TreeSet<>();
        for (Node n : mem.order()) opTypes.add(n.opType());
        Est e = estimate(g, d, layers);

        long flash, ram, flashCap, ramCap;
        if (d.isMcu()) {
            flash = weights + MCU_CODE_BASE + MCU_CODE_PER_OP_TYPE * opTypes.size();
            ram = mem.arenaBytes() + MCU_RUNTIME_RAM + MCU_RAM_PER_TENSOR * mem.offsets().size();
            flashCap = d.flashBytes();
            ramCap = d.sramBytes() + d.dramBytes();
        } else {
            flash = weights;
            ram = weights + mem.arenaBytes() + LINUX_RUNTIME_RAM;
            flashCap = d.flashBytes() == 0 ? Long.MAX_VALUE : d.flashBytes();
            ramCap = d.dramBytes();
        }
        boolean fitsFlash = flash <= flashCap;
        boolean fitsRam = ram <= ramCap && (!d.isMcu() || mem.arenaBytes() <= d.arenaRegionBytes() + d.dramBytes());
        List<String> stepNames = new ArrayList<>();
        for (Node n : mem.order()) stepNames.add(n.name().isEmpty() ? n.opType() : n.name());
        long macs = 0;
        for (Layer l : layers) macs += l.macs();

        List<Suggestion> sugg = suggestions(g, d, layers, e, mem, typeOf, isConstant, weights, flash, ram, opTypes.size());
        return new Report(modelName, d, fitsFlash && fitsRam, fitsFlash, fitsRam, weights, flash, flashCap, ram, ramCap,
                mem.arenaBytes(), mem.lowerBoundBytes(), mem.graphOrderArena(), mem.orderName(), mem.profile(), stepNames,
                e.latencyS * 1e3, e.transferS * 1e3, e.energyJ * 1e6, e.layers, e.partition, sugg, macs);
    }

    /** Float values a deployment holds in the quantized dtype: DequantizeLinear outputs and inputs of a fused QuantizeLinear. */
    static Function<Value, TensorType> deployedTypes(Graph g, Function<Value, TensorType> typeOf) {
        Map<Value, DType> q = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if (n.opType().equals("DequantizeLinear") && n.input(0) != null) {
                TensorType in = typeOf.apply(n.input(0));
                if (in != null) q.put(n.output(0), in.dtype());
            }
            if (n.opType().equals("QuantizeLinear") && Workload.fusedAway(n)) {
                TensorType out = typeOf.apply(n.output(0));
                if (out != null) q.put(n.input(0), out.dtype());
            }
        }
        return v -> {
            TensorType t = typeOf.apply(v);
            DType d = q.get(v);
            return t == null || d == null || !t.dtype().isFloating() ? t : new TensorType(d, t.shape());
        };
    }

    /** Latency, energy and placement of a layer list. */
    record Est(List<LayerReport> layers, Partitioner.Result partition, double latencyS, double transferS, double energyJ) {}

    static Est estimate(Graph g, Device d, List<Layer> layers) {
        Set<String> gin = new HashSet<>(), gout = new HashSet<>();
        for (Value v : g.inputs()) gin.add(v.name());
        for (Value v : g.outputs()) gout.add(Workload.fusedName(g, v));
        Partitioner.Result p = Partitioner.partition(layers, d, gin, gout);
        List<LayerReport> out = new ArrayList<>();
        double t = 0, energy = 0;
        boolean energyKnown = true;
        for (int i = 0; i < layers.size(); i++) {
            boolean acc = p.onAccelerator().get(i);
            CostModel.Cost c = CostModel.cost(layers.get(i), acc ? d.accelerator() : d.cpu());
            out.add(new LayerReport(layers.get(i), c, acc));
            t += c.seconds();
            if (Double.isNaN(c.energyJ())) energyKnown = false;
            else energy += c.energyJ();
        }
        double xfer = d.accelerator() == null ? 0 : p.transferBytes() / d.accelerator().transferBytesPerSecond();
        t += xfer;
        if (!Double.isNaN(d.powerMw())) energy = d.powerMw() * 1e-3 * t;
        else if (!energyKnown) energy = Double.NaN;
        return new Est(out, p, t, xfer, energy);
    }

    static long weightBytes(Graph g, List<Node> order, Function<Value, TensorType> typeOf, java.util.function.Predicate<Value> isConstant) {
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long b = 0;
        for (Node n : order) {
            for (Value v : n.inputs()) {
                if (v == null || !isConstant.test(v)) continue;
                Value s = Workload.source(v, isConstant);
                if (!seen.add(s)) continue;
                TensorType t = typeOf.apply(s);
                if (t != null && t.isStatic()) b += t.byteSize();
            }
        }
        return b;
    }

    static Map<Value, TensorType> resolveInputs(Graph g, String modelName, Map<String, long[]> shapes) {
        Map<Value, TensorType> m = new LinkedHashMap<>();
        List<String> known = new ArrayList<>();
        for (Value v : g.inputs()) if (!v.isConstant()) known.add(v.name());
        for (String k : shapes.keySet()) {
            if (!known.contains(k)) throw new EdgeoptException(modelName + ": --shape names '" + k + "', which is not an input (inputs: " + String.join(", ", known) + ")");
        }
        for (Value v : g.inputs()) {
            if (v.isConstant()) continue;
            TensorType t = v.type();
            if (t == null) throw new EdgeoptException(modelName + ": input '" + v.name() + "' has no type");
            long[] s = shapes.get(v.name());
            if (s != null) {
                if (t.shape() != null && t.shape().rank() != s.length) {
                    throw new EdgeoptException(modelName + ": --shape " + v.name() + " has " + s.length + " dims but the input has rank " + t.shape().rank() + " " + t.shape());
                }
                t = new TensorType(t.dtype(), Shape.of(s));
            }
            if (!t.isStatic()) {
                StringBuilder ex = new StringBuilder();
                if (t.shape() != null) {
                    for (int i = 0; i < t.shape().rank(); i++) {
                        Dim dim = t.shape().dim(i);
                        ex.append(i == 0 ? "" : ",").append(dim.isKnown() ? String.valueOf(dim.value()) : "1");
                    }
                }
                throw new EdgeoptException(modelName + ": input '" + v.name() + "' has dynamic shape " + (t.shape() == null ? "[?]" : t.shape())
                        + "; give it with --shape " + v.name() + "=" + (ex.length() == 0 ? "D1,D2,..." : ex));
            }
            m.put(v, t);
        }
        return m;
    }

    // ------------------------------------------------------------------ suggestions

    static List<Suggestion> suggestions(Graph g, Device d, List<Layer> layers, Est base, GraphMemory.Result mem,
                                        Function<Value, TensorType> typeOf, java.util.function.Predicate<Value> isConstant,
                                        long weights, long flash, long ram, int opTypes) {
        List<Suggestion> out = new ArrayList<>();
        boolean hasFloat = false;
        for (Layer l : layers) if (l.dtype().equals("float32")) hasFloat = true;
        if (hasFloat) {
            Est q = estimate(g, d, Workload.asInt8(layers));
            Function<Value, TensorType> int8 = v -> {
                TensorType t = typeOf.apply(v);
                return t != null && t.dtype() == DType.FLOAT ? new TensorType(DType.INT8, t.shape()) : t;
            };
            GraphMemory.Result qm = GraphMemory.plan(g, int8, isConstant, GraphMemory.Options.defaults());
            long qWeights = weightBytes(g, mem.order(), int8, isConstant);
            long qFlash = flash - weights + qWeights;
            long qRam = d.isMcu() ? ram - mem.arenaBytes() + qm.arenaBytes() : ram - weights - mem.arenaBytes() + qWeights + qm.arenaBytes();
            out.add(new Suggestion("quantize to int8", String.format(Locale.ROOT,
                    "weights %s -> %s, arena %s -> %s, latency %.3g -> %.3g ms%s", kb(weights), kb(qWeights), kb(mem.arenaBytes()), kb(qm.arenaBytes()),
                    base.latencyS * 1e3, q.latencyS * 1e3,
                    d.accelerator() != null && q.partition.acceleratedCount() > base.partition.acceleratedCount()
                            ? " (" + q.partition.acceleratedCount() + " of " + layers.size() + " layers then run on the " + d.accelerator().name() + ")" : ""),
                    q.latencyS * 1e3, qFlash, qRam));
        }
        long flashCap = d.isMcu() ? d.flashBytes() : Long.MAX_VALUE;
        long bestFlash = flash;
        for (Suggestion x : out) bestFlash = Math.min(bestFlash, x.flashBytesAfter());
        if (bestFlash > flashCap) {
            long over = bestFlash - flashCap;
            long w = weights - (flash - bestFlash);
            out.add(new Suggestion("shrink the weights", String.format(Locale.ROOT,
                    "%sthe weights (%s) must lose %s (%.0f%%) to fit the flash: prune or cluster them, or pick a smaller model",
                    bestFlash < flash ? "even at int8 " : "", kb(w), kb(over), 100.0 * over / Math.max(1, w)),
                    base.latencyS * 1e3, flashCap, ram));
        }
        if (d.accelerator() != null && !base.partition.fallbacks().isEmpty()) {
            double t = 0;
            int fixable = 0;
            for (LayerReport lr : base.layers) {
                Layer l = lr.layer();
                boolean dtypeOk = d.accelerator().dtypes().contains(l.dtype());
                if (!lr.onAccelerator() && dtypeOk) {
                    t += CostModel.cost(l, d.accelerator()).seconds();
                    fixable++;
                } else {
                    t += lr.cost().seconds();
                }
            }
            if (fixable > 0) {
                out.add(new Suggestion("fix the accelerator fallbacks", String.format(Locale.ROOT,
                        "%d layers fall back to the CPU (see fallbacks); with all of them on the %s: %.3g -> %.3g ms",
                        fixable, d.accelerator().name(), base.latencyS * 1e3, t * 1e3), t * 1e3, flash, ram));
            }
        }
        if (mem.graphOrderArena() > mem.arenaBytes()) {
            out.add(new Suggestion("memory-aware execution order (applied)", String.format(Locale.ROOT,
                    "the %s order needs an arena of %s instead of %s in the graph's order", mem.orderName(), kb(mem.arenaBytes()), kb(mem.graphOrderArena())),
                    base.latencyS * 1e3, flash, ram));
        }
        long[] prof = mem.profile();
        int peak = 0;
        for (int i = 1; i < prof.length; i++) if (prof[i] > prof[peak]) peak = i;
        if (prof.length > 0 && ram > (d.isMcu() ? d.sramBytes() : d.dramBytes())) {
            Node n = mem.order().get(peak);
            out.add(new Suggestion("shrink the peak activation", String.format(Locale.ROOT,
                    "the arena peaks at step %d (%s, %s live): lower the input resolution or the channel width there, or tile that layer",
                    peak, n.name().isEmpty() ? n.opType() : n.name(), kb(prof[peak])), base.latencyS * 1e3, flash, ram));
        }
        out.sort(Comparator.comparingDouble(Suggestion::latencyMsAfter));
        return out;
    }

    static String kb(long b) {
        if (b >= 10L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }

    // ------------------------------------------------------------------ output

    public static String toJson(Report r) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("model", r.model());
        o.put("device", r.device().name());
        o.put("fits", r.fits());
        o.put("fits_flash", r.fitsFlash());
        o.put("fits_ram", r.fitsRam());
        o.put("flash_bytes", r.flashBytes());
        o.put("flash_capacity_bytes", r.flashCapacity() == Long.MAX_VALUE ? -1 : r.flashCapacity());
        o.put("weight_bytes", r.weightBytes());
        o.put("ram_bytes", r.ramBytes());
        o.put("ram_capacity_bytes", r.ramCapacity());
        o.put("arena_bytes", r.arenaBytes());
        o.put("arena_lower_bound_bytes", r.arenaLowerBound());
        o.put("arena_graph_order_bytes", r.graphOrderArena());
        o.put("execution_order", r.orderName());
        o.put("macs", r.totalMacs());
        o.put("latency_ms", r.latencyMs());
        o.put("transfer_ms", r.transferMs());
        if (Double.isNaN(r.energyUj())) o.putNull("energy_uj");
        else o.put("energy_uj", r.energyUj());
        ArrayNode parts = o.putArray("partitions");
        for (Partitioner.Partition p : r.partition().partitions()) {
            ObjectNode pn = parts.addObject();
            pn.put("index", p.index());
            pn.put("unit", p.unit());
            pn.put("accelerator", p.accelerator());
            pn.put("nodes", p.nodes().size());
            pn.put("first", p.nodes().get(0));
            pn.put("last", p.nodes().get(p.nodes().size() - 1));
            pn.put("in_bytes", p.inBytes());
            pn.put("out_bytes", p.outBytes());
        }
        o.put("transfer_bytes", r.partition().transferBytes());
        ArrayNode fb = o.putArray("fallbacks");
        for (Partitioner.Fallback f : r.partition().fallbacks()) {
            ObjectNode fn = fb.addObject();
            fn.put("node", f.node());
            fn.put("op", f.op());
            fn.put("reason", f.reason());
            fn.put("fix", f.fix());
        }
        ArrayNode hv = o.putArray("heaviest_layers");
        for (LayerReport lr : r.heaviest(5)) layerJson(hv.addObject(), lr);
        ArrayNode sg = o.putArray("optimizations");
        for (Suggestion s : r.suggestions()) {
            ObjectNode sn = sg.addObject();
            sn.put("name", s.name());
            sn.put("detail", s.detail());
            sn.put("latency_ms_after", s.latencyMsAfter());
            sn.put("flash_bytes_after", s.flashBytesAfter());
            sn.put("ram_bytes_after", s.ramBytesAfter());
        }
        ArrayNode prof = o.putArray("memory_profile");
        for (int i = 0; i < r.profile().length; i++) {
            ObjectNode pn = prof.addObject();
            pn.put("step", i);
            pn.put("node", i < r.stepNames().size() ? r.stepNames().get(i) : "");
            pn.put("live_bytes", r.profile()[i]);
        }
        ArrayNode ls = o.putArray("layers");
        for (LayerReport lr : r.layers()) layerJson(ls.addObject(), lr);
        try {
            return m.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void layerJson(ObjectNode n, LayerReport lr) {
        Layer l = lr.layer();
        n.put("node", l.name());
        n.put("op", l.op());
        n.put("dtype", l.dtype());
        n.put("unit", lr.onAccelerator() ? lr.cost().unit().name() : "CPU");
        n.put("macs", l.macs());
        n.put("latency_ms", lr.cost().seconds() * 1e3);
        n.put("bound", lr.cost().memoryBound() ? "memory" : "compute");
    }

    public static String toText(Report r) {
        StringBuilder sb = new StringBuilder();
        Device d = r.device();
        sb.append(String.format(Locale.ROOT, "%s on %s (%s)%n", r.model(), d.name(), d.summary()));
        sb.append(String.format(Locale.ROOT, "  fits: %s%n", r.fits() ? "yes" : "NO"));
        if (r.flashCapacity() == Long.MAX_VALUE) {
            sb.append(String.format(Locale.ROOT, "  flash: %s of weights, loaded into RAM (no separate flash budget)%n", kb(r.weightBytes())));
        } else {
            sb.append(String.format(Locale.ROOT, "  flash: %s (weights %s + code estimate) of %s: %s%n", kb(r.flashBytes()), kb(r.weightBytes()),
                    kb(r.flashCapacity()), miss(r.flashBytes(), r.flashCapacity())));
        }
        sb.append(String.format(Locale.ROOT, "  RAM:   %s (arena %s + runtime estimate%s) of %s: %s%n", kb(r.ramBytes()), kb(r.arenaBytes()),
                d.isMcu() ? "" : " + weights", kb(r.ramCapacity()), miss(r.ramBytes(), r.ramCapacity())));
        if (d.isMcu() && r.arenaBytes() > d.sramBytes() && d.dramBytes() > 0) sb.append("         the arena exceeds on-chip SRAM and would live in external RAM (slower than this estimate assumes)\n");
        else if (d.isMcu() && r.arenaBytes() > d.sramBytes()) sb.append(String.format(Locale.ROOT, "         the arena alone exceeds the %s of on-chip SRAM%n", kb(d.sramBytes())));
        else if (d.isMcu() && r.arenaBytes() > d.arenaRegionBytes()) sb.append(String.format(Locale.ROOT, "         the arena exceeds the largest contiguous SRAM block (%s)%n", kb(d.arenaRegionBytes())));
        sb.append(String.format(Locale.ROOT, "  arena: %s, lower bound %s (%.3fx), %s order (graph order: %s)%n", kb(r.arenaBytes()), kb(r.arenaLowerBound()),
                r.arenaLowerBound() == 0 ? 1.0 : (double) r.arenaBytes() / r.arenaLowerBound(), r.orderName(), kb(r.graphOrderArena())));
        long[] prof = r.profile();
        int peak = 0;
        for (int i = 1; i < prof.length; i++) if (prof[i] > prof[peak]) peak = i;
        if (prof.length > 0) {
            sb.append(String.format(Locale.ROOT, "  memory profile: %d steps, peak %s at step %d (%s); per-step bytes in --json memory_profile%n",
                    prof.length, kb(prof[peak]), peak, r.stepNames().get(peak)));
        }
        sb.append(String.format(Locale.ROOT, "  latency: %.3f ms (%.1f M MACs)%s%n", r.latencyMs(), r.totalMacs() / 1e6,
                r.transferMs() > 0 ? String.format(Locale.ROOT, ", of which %.3f ms CPU-accelerator transfers", r.transferMs()) : ""));
        sb.append("  energy: ").append(Double.isNaN(r.energyUj()) ? "unknown (no published power or energy figure for " + d.name() + ")"
                : String.format(Locale.ROOT, "%.1f uJ per inference", r.energyUj())).append('\n');
        if (d.accelerator() != null) {
            sb.append(String.format(Locale.ROOT, "  %s: %d of %d layers, %d partitions, %s transferred%n", d.accelerator().name(),
                    r.partition().acceleratedCount(), r.layers().size(), r.partition().partitions().size(), kb(r.partition().transferBytes())));
            for (Partitioner.Partition p : r.partition().partitions()) {
                sb.append(String.format(Locale.ROOT, "    #%d %-14s %3d nodes  %s .. %s%n", p.index(), p.unit(), p.nodes().size(), p.nodes().get(0), p.nodes().get(p.nodes().size() - 1)));
            }
            // Group identical reasons so a float model does not print one line per layer (JSON lists every node).
            Map<String, List<Partitioner.Fallback>> groups = new LinkedHashMap<>();
            for (Partitioner.Fallback f : r.partition().fallbacks()) groups.computeIfAbsent(f.reason() + "\u0000" + f.fix(), k -> new ArrayList<>()).add(f);
            for (List<Partitioner.Fallback> fs : groups.values()) {
                Partitioner.Fallback f = fs.get(0);
                String nodes = fs.size() == 1 ? f.node() : fs.size() + " nodes, first " + f.node();
                String reason = f.reason();
                sb.append(String.format(Locale.ROOT, "    CPU fallback (%s): %s; fix: %s%n", nodes, reason, f.fix()));
            }
        }
        sb.append("  heaviest layers:\n");
        for (LayerReport lr : r.heaviest(5)) {
            sb.append(String.format(Locale.ROOT, "    %-28s %-14s %-7s %-4s %9.3f ms  %s-bound%n", lr.layer().name(), lr.layer().op(), lr.layer().dtype(),
                    lr.onAccelerator() ? "NPU" : "CPU", lr.cost().seconds() * 1e3, lr.cost().memoryBound() ? "memory" : "compute"));
        }
        if (!r.suggestions().isEmpty()) {
            sb.append("  optimizations:\n");
            for (Suggestion s : r.suggestions()) sb.append("    ").append(s.name()).append(": ").append(s.detail()).append('\n');
        }
        return sb.toString();
    }

    static String miss(long need, long have) {
        if (need <= have) return String.format(Locale.ROOT, "ok, %s spare", kb(have - need));
        return String.format(Locale.ROOT, "MISSES by %s (%.0f%% over)", kb(need - have), 100.0 * (need - have) / have);
    }
}
