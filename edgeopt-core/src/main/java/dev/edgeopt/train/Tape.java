package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation of a graph, specialized to concrete input shapes. Building it runs
 * each node's {@link GradRule} once, fixes every shape and allocates every activation and
 * gradient buffer; {@link #forward} and {@link #backward} then only run the ops.
 *
 * <p>Activations are all kept (the backward pass reads them), so buffers are not shared between
 * values; gradients are zeroed per step and accumulated by the rules. One fusion: a Relu that
 * alone reads a BatchNormalization's output, or an equal-shape Add's (residual blocks), is folded
 * into that op (one pass each way instead of two); both values then share the post-Relu buffer,
 * so {@link #valueOf} the folded op's output reads max(0, its value).
 */
public final class Tape {
    private final Graph graph;
    private final Parameters params;
    private final List<Node> nodes = new ArrayList<>();
    private final List<TrainOp> ops = new ArrayList<>();
    private final List<Tensor[]> ins = new ArrayList<>(), outs = new ArrayList<>(), gIns = new ArrayList<>(), gOuts = new ArrayList<>();
    private final Map<Value, Tensor> data = new IdentityHashMap<>();
    private final Map<Value, Tensor> grad = new IdentityHashMap<>();
    private final List<Tensor> zeroEachStep = new ArrayList<>();
    private final Tensor[] inputSlots;
    private final Tensor[] outputs;
    private final Tensor[] outputGrads;
    private final long[] clock = new long[1];
    private long[] forwardNanos, backwardNanos;
    private java.util.function.LongSupplier profileClock = System::nanoTime;

    /**
     * @param inputShapes concrete shape of each graph input, in order
     * @param inputGrads whether gradients flow to the graph inputs too (tests, adversarial uses)
     */
    public Tape(Graph graph, Parameters params, int[][] inputShapes, ThreadPool pool, long seed, boolean inputGrads) {
        this(graph, params, inputShapes, pool, seed, inputGrads, GradRules.standard());
    }

    public Tape(Graph graph, Parameters params, int[][] inputShapes, ThreadPool pool, long seed, boolean inputGrads, GradRules rules) {
        this(graph, params, inputShapes, pool, seed, inputGrads, rules, true);
    }

    /**
     * @param gradients false for an inference-only tape (evaluation): no gradient buffers are
     *     allocated and {@link #backward} does nothing
     */
    public Tape(Graph graph, Parameters params, int[][] inputShapes, ThreadPool pool, long seed, boolean inputGrads, GradRules rules, boolean gradients) {
        this.graph = graph;
        this.params = params;
        if (inputShapes.length != graph.inputs().size()) {
            throw new EdgeoptException("the model takes " + graph.inputs().size() + " input(s), got " + inputShapes.length);
        }
        inputSlots = new Tensor[inputShapes.length];
        for (int i = 0; i < inputShapes.length; i++) {
            Value v = graph.inputs().get(i);
            DType dt = v.dtype() == null ? DType.FLOAT : v.dtype();
            Tensor t = Tensor.allocate(dt, inputShapes[i]);
            inputSlots[i] = t;
            data.put(v, t);
            if (inputGrads && dt == DType.FLOAT) grad.put(v, Tensor.allocate(DType.FLOAT, inputShapes[i]));
        }
        for (Value v : graph.initializers()) data.put(v, params.value(v.name()));
        int index = 0;
        // Relu nodes folded into the BatchNormalization before them: Relu -> that BN node.
        Map<Node, Node> foldedRelu = new IdentityHashMap<>();
        boolean standardRelu = rules.find("Relu") != null && rules.find("Relu") == GradRules.standard().find("Relu");
        for (Node n : graph.nodes()) {
            Node bn = foldedRelu.get(n);
            if (bn != null) {
                // The BN op already outputs max(0, bn(x)) and masks its gradient: the Relu's output
                // and gradient are the BN's buffers.
                index++;
                data.put(n.output(0), data.get(bn.output(0)));
                Tensor g = grad.get(bn.output(0));
                if (g != null) grad.put(n.output(0), g);
                continue;
            }
            GradRule rule = rules.find(n.opType());
            if (rule == null || !n.domain().isEmpty()) {
                throw new EdgeoptException("op '" + n.opType() + "' at node '" + n.name() + "' has no gradient rule; training supports " + rules.ops());
            }
            int k = n.inputCount();
            int[][] shapes = new int[k][];
            DType[] types = new DType[k];
            Tensor[] consts = new Tensor[k];
            Tensor[] in = new Tensor[k];
            for (int i = 0; i < k; i++) {
                Value v = n.input(i);
                if (v == null) continue;
                Tensor t = data.get(v);
                if (t == null) throw new EdgeoptException("node " + n.describe() + ": input '" + v.name() + "' is not computed before it");
                in[i] = t;
                shapes[i] = t.shape();
                types[i] = t.dtype();
                if (v.isConstant()) consts[i] = t;
            }
            TrainContext ctx = new TrainContext(n, shapes, types, consts, pool, seed * 1_000_003L + index++, clock);
            TrainOp op = rule.create(ctx);
            Tensor[] out = new Tensor[n.outputCount()];
            Tensor[] gOut = new Tensor[n.outputCount()];
            for (int o = 0; o < out.length; o++) {
                int[] s = ctx.outShapes()[o];
                if (s == null) throw new IllegalStateException("rule for " + n.opType() + " left output " + o + " unset");
                out[o] = Tensor.allocate(ctx.outTypes()[o], s);
                data.put(n.output(o), out[o]);
            }
            Tensor[] gIn = new Tensor[k];
            boolean any = false;
            for (int i = 0; gradients && i < k; i++) {
                Value v = n.input(i);
                if (v == null || !op.differentiable(i) || in[i].dtype() != DType.FLOAT) continue;
                if (v.isConstant()) {
                    params.markTrainable(v.name());
                    gIn[i] = params.grads().get(v.name());
                } else {
                    gIn[i] = grad.get(v);
                }
                if (gIn[i] != null) any = true;
            }
            if (any) {
                for (int o = 0; o < out.length; o++) {
                    if (out[o].dtype() != DType.FLOAT) continue;
                    gOut[o] = Tensor.allocate(DType.FLOAT, out[o].dims());
                    grad.put(n.output(o), gOut[o]);
                    zeroEachStep.add(gOut[o]);
                }
            }
            boolean foldable = op instanceof NormGrads.BatchNorm || op instanceof ArithmeticGrads.Binary bin && bin.canFoldRelu();
            if (standardRelu && foldable && n.outputCount() == 1) {
                List<Node> uses = graph.uses(n.output(0));
                if (uses.size() == 1 && uses.get(0).opType().equals("Relu") && uses.get(0).domain().isEmpty()
                        && uses.get(0).inputCount() == 1 && uses.get(0).outputCount() == 1 && !graph.outputs().contains(n.output(0))) {
                    if (op instanceof NormGrads.BatchNorm b) b.fuseRelu();
                    else ((ArithmeticGrads.Binary) op).fuseRelu();
                    foldedRelu.put(uses.get(0), n);
                }
            }
            nodes.add(n);
            ops.add(op);
            ins.add(in);
            outs.add(out);
            gIns.add(gIn);
            gOuts.add(gOut);
        }
        for (Value v : graph.inputs()) if (grad.containsKey(v)) zeroEachStep.add(grad.get(v));
        outputs = new Tensor[graph.outputs().size()];
        outputGrads = new Tensor[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            Value v = graph.outputs().get(i);
            outputs[i] = data.get(v);
            outputGrads[i] = grad.get(v);
        }
        // Buffers whose first writer in the backward pass clears them itself (the caller fills the
        // output gradients before backward, so those are never handed over).
        java.util.Set<Tensor> claimed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        java.util.Set<Tensor> written = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        java.util.Set<Tensor> cleared = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        cleared.addAll(zeroEachStep);
        for (Tensor t : outputGrads) if (t != null) cleared.remove(t);
        for (int i = ops.size() - 1; i >= 0; i--) {
            boolean runs = false;
            for (Tensor t : gOuts.get(i)) runs |= t != null;
            Tensor[] gIn = gIns.get(i);
            for (int j = 0; j < gIn.length; j++) {
                Tensor g = gIn[j];
                if (g == null || !written.add(g)) continue;
                int uses = 0;
                for (Tensor o : gIn) if (o == g) uses++;
                if (runs && uses == 1 && cleared.contains(g) && ops.get(i).acceptFirstWrite(j)) claimed.add(g);
            }
        }
        zeroEachStep.removeIf(claimed::contains);
    }

    public Graph graph() { return graph; }

    public Parameters parameters() { return params; }

    /** The buffer of graph input i; fill it, then call {@link #forward}. */
    public Tensor input(int i) { return inputSlots[i]; }

    /** Sets the step number that seeds per-step randomness (Dropout masks). */
    public void setStep(long step) { clock[0] = step; }

    /** Runs the graph; returns the output buffers (valid until the next forward). */
    public Tensor[] forward(boolean training) {
        if (forwardNanos != null) {
            for (int i = 0; i < ops.size(); i++) {
                long t0 = profileClock.getAsLong();
                ops.get(i).forward(ins.get(i), outs.get(i), training);
                forwardNanos[i] += profileClock.getAsLong() - t0;
            }
            return outputs;
        }
        for (int i = 0; i < ops.size(); i++) ops.get(i).forward(ins.get(i), outs.get(i), training);
        return outputs;
    }

    /** Starts accumulating per-node forward and backward wall time (for profiles; see {@link #profile()}). */
    public void enableProfile() { enableProfile(System::nanoTime); }

    /**
     * Profiles with the given nanosecond clock: the calling thread's CPU time gives figures that a
     * busy shared machine does not inflate (single-threaded runs only; workers' time is not counted).
     */
    public void enableProfile(java.util.function.LongSupplier clock) {
        profileClock = clock;
        forwardNanos = new long[ops.size()];
        backwardNanos = new long[ops.size()];
    }

    /** Per node: name, op, forward and backward nanoseconds accumulated since {@link #enableProfile()}. */
    public List<String> profile() {
        List<String> r = new ArrayList<>();
        if (forwardNanos == null) return r;
        for (int i = 0; i < ops.size(); i++) {
            r.add(String.format("%-16s %-20s fwd %8.2f ms  bwd %8.2f ms", nodes.get(i).opType(), nodes.get(i).name(), forwardNanos[i] / 1e6, backwardNanos[i] / 1e6));
        }
        return r;
    }

    /**
     * Forward and backward milliseconds per op type since {@link #enableProfile()}, slowest first:
     * where a step's time goes, to pick what to optimize.
     */
    public List<String> profileByOp() {
        List<String> r = new ArrayList<>();
        if (forwardNanos == null) return r;
        Map<String, long[]> by = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            long[] a = by.computeIfAbsent(nodes.get(i).opType(), k -> new long[3]);
            a[0] += forwardNanos[i];
            a[1] += backwardNanos[i];
            a[2]++;
        }
        long total = 0;
        for (long[] a : by.values()) total += a[0] + a[1];
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(by.entrySet());
        sorted.sort((x, y) -> Long.compare(y.getValue()[0] + y.getValue()[1], x.getValue()[0] + x.getValue()[1]));
        for (var e : sorted) {
            long[] a = e.getValue();
            r.add(String.format("%-20s x%-3d fwd %9.2f ms  bwd %9.2f ms  %5.1f%%", e.getKey(), a[2], a[0] / 1e6, a[1] / 1e6, 100.0 * (a[0] + a[1]) / Math.max(1, total)));
        }
        return r;
    }

    /** The gradient buffer of graph output i (null when it does not depend on any parameter); fill it before {@link #backward}. */
    public Tensor outputGrad(int i) { return outputGrads[i]; }

    /** Clears intermediate gradients; call before filling {@link #outputGrad} (parameter gradients are cleared by {@link Parameters#zeroGrad}). */
    public void zeroGrad() {
        for (Tensor t : zeroEachStep) Arrays.fill(t.floats(), t.offset(), t.offset() + t.size(), 0f);
    }

    /** Propagates the output gradients back to the parameters (and inputs when asked). */
    public void backward() {
        for (int i = ops.size() - 1; i >= 0; i--) {
            Tensor[] gOut = gOuts.get(i);
            boolean any = false;
            for (Tensor t : gOut) any |= t != null;
            if (!any) continue;
            long t0 = backwardNanos == null ? 0 : profileClock.getAsLong();
            ops.get(i).backward(ins.get(i), outs.get(i), gOut, gIns.get(i));
            if (backwardNanos != null) backwardNanos[i] += profileClock.getAsLong() - t0;
        }
    }

    /** The gradient of graph input i, when the tape was built with input gradients. */
    public Tensor inputGrad(int i) { return grad.get(graph.inputs().get(i)); }

    /** The forward buffer of any value (for inspection and distillation of intermediate features). */
    public Tensor valueOf(String name) {
        Value v = graph.value(name);
        return v == null ? null : data.get(v);
    }
}
