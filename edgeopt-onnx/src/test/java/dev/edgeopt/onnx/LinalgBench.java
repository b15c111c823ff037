package dev.edgeopt.onnx;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ConvGeometry;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in benchmark ({@code -Dbench=true}): GFLOP/s of the Java engine and ONNX Runtime side by side
 * on the same single-node models: square MatMuls 256..1024 ({@code -Dbench.gemm=true}), and every
 * Conv layer of mobilenet_v2 with its real weights, plus the sum over all conv layers; and a profile
 * of the whole optimized mobilenet_v2 in the Java engine by op kind (per step with
 * {@code -Dbench.steps=true}). {@code -Dbench.threads=N}
 * (default 1). Prints; asserts nothing about time.
 *
 * <p>On a shared machine wall time swings with other processes; with one thread the profile also
 * reports the calling thread's CPU time, which both engines run on at one thread.
 *
 * <pre>./mvnw -q -o -pl edgeopt-onnx -am test -Dtest=LinalgBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true -Dbench.threads=1</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class LinalgBench {
    static final int THREADS = Integer.getInteger("bench.threads", 1);

    /** Median nanoseconds of {@code reps} runs after {@code warm} warm-up runs. */
    static long median(Runnable r, int warm, int reps) {
        for (int i = 0; i < warm; i++) r.run();
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    record Timing(long javaNs, long ortNs) {}

    static Timing time(Graph g, Tensor input, long flops) {
        int reps = (int) Math.max(15, Math.min(300, 4e9 / Math.max(flops, 1)));
        try (Executor ex = new Executor(g, THREADS); OrtRunner ort = new OrtRunner(g, THREADS, OrtRunner.OptLevel.ALL);
             OrtRunner.Prepared p = ort.prepare(input)) {
            long j = median(() -> ex.run(input), reps / 2 + 3, reps);
            long o = median(p::run, reps / 2 + 3, reps);
            return new Timing(j, o);
        }
    }

    static Tensor random(int[] shape, long seed) {
        Random r = new Random(seed);
        float[] a = new float[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() * 2 - 1;
        return Tensor.of(a, shape);
    }

    @Test
    @EnabledIfSystemProperty(named = "bench.gemm", matches = "true")
    void gemm() {
        System.out.printf("threads %d%n%-28s %10s %10s %10s %10s%n", THREADS, "MatMul MxNxK (B const)", "java ms", "ort ms", "java GF/s", "ort GF/s");
        for (int s : new int[] {256, 384, 512, 768, 1024}) {
            Graph g = new Graph("mm");
            Value a = g.addInput("a", TensorType.of(DType.FLOAT, s, s));
            Value b = g.addInitializer("b", random(new int[] {s, s}, 2));
            Node n = g.addNode("MatMul", "mm", List.of(a, b), List.of("y"));
            g.addOutput(n.output(0));
            ShapeInference.annotate(g, null);
            long flops = 2L * s * s * s;
            Timing t = time(g, random(new int[] {s, s}, 1), flops);
            System.out.printf("%-28s %10.3f %10.3f %10.1f %10.1f%n", s + "x" + s + "x" + s, t.javaNs / 1e6, t.ortNs / 1e6,
                    flops / (double) t.javaNs, flops / (double) t.ortNs);
        }
    }

    /** Every Conv of mobilenet_v2 as a single-node model with its weights and bias. */
    @Test
    void mobilenetConvLayers() throws java.io.IOException {
        Graph model = OnnxImporter.loadRaw(TestPaths.sharedModel("mobilenet_v2.onnx"));
        // Shapes by hand: the ops between convs (BatchNormalization, Clip, Relu, Add, Identity)
        // keep their input's shape, so this needs no schema beyond Conv's.
        Map<Value, int[]> shapes = new HashMap<>();
        for (Value v : model.inputs()) shapes.put(v, v.shape().toIntArray());
        List<String> keep = List.of("BatchNormalization", "Clip", "Relu", "Add", "Identity");
        System.out.printf("threads %d%n%-44s %10s %9s %9s %9s %9s%n", THREADS, "conv layer", "MMACs", "java ms", "ort ms", "java GF/s", "ort GF/s");
        double sumJ = 0, sumO = 0;
        long sumMacs = 0;
        for (Node n : model.nodes()) {
            int[] xs = shapes.get(n.input(0));
            if (xs == null) break;
            if (n.opType().equals("Conv")) {
                Tensor w = n.input(1).constant();
                int[] ws = w.shape();
                ConvGeometry geo = ConvGeometry.conv(n, Arrays.stream(xs).skip(2).asLongStream().toArray(), Arrays.stream(ws).skip(2).asLongStream().toArray());
                int[] ys = {xs[0], ws[0], (int) geo.out[0], (int) geo.out[1]};
                shapes.put(n.output(0), ys);
                Graph g = new Graph("conv");
                Value x = g.addInput("x", TensorType.of(DType.FLOAT, xs));
                List<Value> ins = new ArrayList<>(List.of(x, g.addInitializer("w", w)));
                if (n.hasInput(2)) ins.add(g.addInitializer("b", n.input(2).constant()));
                Node c = g.addNode("Conv", "conv", ins, List.of("y"));
                for (var e : n.attributes().entrySet()) c.setAttr(e.getKey(), e.getValue());
                g.addOutput(c.output(0));
                ShapeInference.annotate(g, null);
                long macs = (long) ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
                Timing t = time(g, random(xs, 3), 2 * macs);
                sumJ += t.javaNs / 1e6;
                sumO += t.ortNs / 1e6;
                sumMacs += macs;
                String desc = String.format("%s %dx%d g%d s%d %s->%s", n.name().length() > 12 ? n.name().substring(n.name().length() - 12) : n.name(),
                        ws[2], ws[3], n.attrInt("group", 1), n.attrInts("strides", new long[] {1})[0], Arrays.toString(xs), ys[1]);
                System.out.printf("%-44s %10.2f %9.3f %9.3f %9.1f %9.1f%n", desc, macs / 1e6, t.javaNs / 1e6, t.ortNs / 1e6,
                        2.0 * macs / t.javaNs, 2.0 * macs / t.ortNs);
            } else if (keep.contains(n.opType())) {
                shapes.put(n.output(0), xs);
            } else {
                break;
            }
        }
        System.out.printf("all conv layers: %.1f MMACs, java %.3f ms, ort %.3f ms (ratio %.2f)%n", sumMacs / 1e6, sumJ, sumO, sumJ / sumO);
    }


    /** The whole mobilenet_v2 after the engine's pass pipeline: time per op kind, best of 200 runs. */
    @Test
    void mobilenetProfile() {
        Graph g = dev.edgeopt.passes.Pipelines.engine(dev.edgeopt.passes.Pipelines.Level.ALL)
                .run(OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx"))).graph();
        Tensor in = random(new int[] {1, 3, 224, 224}, 4);
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (Executor ex = new Executor(g, THREADS)) {
            var steps = ex.plan(Map.of(g.inputs().get(0).name(), new int[] {1, 3, 224, 224})).steps();
            long[] best = new long[steps.size()];
            Arrays.fill(best, Long.MAX_VALUE);
            long[] wall = new long[200], cpu = new long[200];
            for (int it = 0; it < 200; it++) {
                long[] st = new long[steps.size()];
                long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                ex.run(new Tensor[] {in}, st);
                wall[it] = System.nanoTime() - w0;
                cpu[it] = mx.getCurrentThreadCpuTime() - c0;
                for (int i = 0; i < st.length; i++) best[i] = Math.min(best[i], st[i]);
            }
            Arrays.sort(wall);
            Arrays.sort(cpu);
            System.out.printf("mobilenet_v2 java, %d thread(s): wall min %.2f median %.2f ms; calling-thread cpu min %.2f median %.2f ms%n",
                    THREADS, wall[0] / 1e6, wall[100] / 1e6, cpu[0] / 1e6, cpu[100] / 1e6);
            Map<String, Long> byKind = new java.util.TreeMap<>();
            for (int i = 0; i < best.length; i++) {
                Node n = steps.get(i).node();
                Tensor w = n.inputCount() > 1 && n.input(1) != null ? n.input(1).constant() : null;
                String kind = n.opType() + (n.attrInt("group", 1) > 1 ? " depthwise" : w != null && w.rank() == 4 && w.dim(2) == 1 ? " 1x1" : "");
                byKind.merge(kind, best[i], Long::sum);
            }
            byKind.forEach((k, v) -> System.out.printf("  %-22s %7.2f ms (sum of per-step minima)%n", k, v / 1e6));
            if (Boolean.getBoolean("bench.steps")) {
                for (int i = 0; i < best.length; i++) {
                    Node n = steps.get(i).node();
                    Value x = n.inputCount() > 0 ? n.input(0) : null;
                    System.out.printf("  %3d %-16s %-28s %7.3f ms%n", i, n.opType() + (n.attrInt("group", 1) > 1 ? " dw" : ""),
                            x == null || x.shape() == null ? "" : x.shape() + "->" + n.output(0).shape(), best[i] / 1e6);
                }
            }
        }
    }

    /**
     * Each step of the optimized mobilenet_v2 run alone, back to back {@code -Dbench.reps} times
     * (default 300) on its planned buffers after one whole inference: min and median per step, for
     * steps whose description matches {@code -Dbench.match} (a regex, default all; "dw" for
     * depthwise). Isolates kernel changes from the rest of the network.
     */
    @Test
    void mobilenetSteps() {
        Graph g = dev.edgeopt.passes.Pipelines.engine(dev.edgeopt.passes.Pipelines.Level.ALL)
                .run(OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx"))).graph();
        Tensor in = random(new int[] {1, 3, 224, 224}, 4);
        int reps = Integer.getInteger("bench.reps", 300);
        java.util.regex.Pattern match = java.util.regex.Pattern.compile(System.getProperty("bench.match", ".*"));
        try (Executor ex = new Executor(g, THREADS)) {
            ex.run(in);
            var steps = ex.plan(Map.of(g.inputs().get(0).name(), new int[] {1, 3, 224, 224})).steps();
            double sumMin = 0, sumMed = 0;
            for (int i = 0; i < steps.size(); i++) {
                var st = steps.get(i);
                Node n = st.node();
                Value x = n.inputCount() > 0 ? n.input(0) : null;
                String desc = String.format("%3d %-16s %s", i, n.opType() + (n.attrInt("group", 1) > 1 ? " dw" : ""),
                        x == null || x.shape() == null ? "" : x.shape() + "->" + n.output(0).shape());
                if (st.skipped() || !match.matcher(desc).find()) continue;
                long med = median(() -> st.kernel().run(st.inputs(), st.outputs()), reps / 3, reps);
                long[] t = new long[reps];
                for (int r = 0; r < reps; r++) {
                    long s0 = System.nanoTime();
                    st.kernel().run(st.inputs(), st.outputs());
                    t[r] = System.nanoTime() - s0;
                }
                Arrays.sort(t);
                sumMin += t[0] / 1e6;
                sumMed += med / 1e6;
                System.out.printf("  %-58s min %7.3f median %7.3f ms%n", desc, t[0] / 1e6, med / 1e6);
            }
            System.out.printf("matching steps: sum of minima %.3f ms, of medians %.3f ms (%d thread(s))%n", sumMin, sumMed, THREADS);
        }
    }

    /**
     * Each InvertedResidual block of the optimized mobilenet_v2 as a one-node model against the
     * same block unfused (the FusedConv/Conv chain the engine runs without the block fusion), runs
     * alternating, min and median of each. Blocks alone differ from blocks inside the network
     * (caches, JIT profiles): {@link #mobilenetFusedVsUnfused} is the figure that counts.
     * {@code -Dedgeopt.irblock.bandBytes} changes the band size.
     */
    @Test
    void mobilenetBlocks() {
        Graph g = new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseInvertedResidual())).run(
                dev.edgeopt.passes.Pipelines.defaults().run(OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx"))).graph()).graph();
        int reps = Integer.getInteger("bench.reps", 200);
        double sumF = 0, sumU = 0;
        for (Node n : g.nodes()) {
            if (!n.opType().equals(dev.edgeopt.ops.FusedOps.INVERTED_RESIDUAL)) continue;
            Graph b = new Graph("block");
            b.opsetImports().putAll(g.opsetImports());
            Value x = b.addInput("x", n.input(0).type());
            List<Value> ins = new ArrayList<>();
            ins.add(x);
            for (int i = 1; i < n.inputCount(); i++) ins.add(n.hasInput(i) ? b.addInitializer("w" + i, n.input(i).constant()) : null);
            Node c = b.insertNode(0, n.opType(), n.domain(), "block", ins, List.of("y"));
            for (var e : n.attributes().entrySet()) c.setAttr(e.getKey(), e.getValue());
            c.output(0).setType(n.output(0).type());
            b.addOutput(c.output(0));
            Graph u = b.copy();
            dev.edgeopt.ops.FusedOps.unfuse(u);
            ShapeInference.annotate(u, null);
            // The chain as the engine runs it without the block fusion: Relu6 fused into its conv.
            u = new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseActivation())).run(u).graph();
            Tensor in = random(n.input(0).shape().toIntArray(), 5);
            long[][] t = new long[2][reps];
            try (Executor ef = new Executor(b, THREADS); Executor eu = new Executor(u, THREADS)) {
                Executor[] ex = {ef, eu};
                for (int it = -reps / 2; it < reps; it++) {
                    for (int e = 0; e < 2; e++) {
                        long s0 = System.nanoTime();
                        ex[e].run(in);
                        if (it >= 0) t[e][it] = System.nanoTime() - s0;
                    }
                }
            }
            for (long[] a : t) Arrays.sort(a);
            sumF += t[0][0] / 1e6;
            sumU += t[1][0] / 1e6;
            System.out.printf("  %-34s fused min %6.3f med %6.3f | unfused min %6.3f med %6.3f ms  (%.2fx)%n",
                    n.input(0).shape() + "->" + n.output(0).shape(), t[0][0] / 1e6, t[0][reps / 2] / 1e6, t[1][0] / 1e6, t[1][reps / 2] / 1e6,
                    t[1][0] / (double) t[0][0]);
        }
        System.out.printf("blocks: fused %.3f ms, unfused %.3f ms (sum of minima, %d thread(s))%n", sumF, sumU, THREADS);
    }

    /**
     * The optimized mobilenet_v2 without block fusion, with fuse-inverted-residual (the selected
     * blocks) and with fuse-inverted-residual-all after it, one run of each in turn
     * ({@code -Dbench.reps}, default 300, after as many warm-up rounds): whole-run wall and
     * calling-thread CPU time (min and median), and per step the median time, summed over the
     * blocks and over the rest, so the blocks' gain is seen in the context of the whole network
     * (caches, JIT profiles). {@code -Dbench.steps=true} prints each step's median.
     */
    @Test
    void mobilenetFusedVsUnfused() {
        Graph raw = OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx"));
        Graph unfused = dev.edgeopt.passes.Pipelines.engine(dev.edgeopt.passes.Pipelines.Level.ALL).run(raw).graph();
        // The default pipeline may already hold the selective pass: strip the blocks back to chains first.
        unfused = unfusedBlocks(unfused);
        Graph selected = new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseInvertedResidual(
                dev.edgeopt.passes.FuseInvertedResidual.STRIDE2))).run(unfused).graph();
        Graph all = new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseInvertedResidual())).run(unfused).graph();
        // -Dbench.irMaxH / irMinH: a further variant, the selected blocks whose input is at most maxH
        // high, plus every block whose input is at least minH high.
        int maxH = Integer.getInteger("bench.irMaxH", 0), minH = Integer.getInteger("bench.irMinH", Integer.MAX_VALUE);
        Graph capped = new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseInvertedResidual(
                (e, s, h) -> (dev.edgeopt.passes.FuseInvertedResidual.STRIDE2.fuse(e, s, h) && h <= maxH) || h >= minH))).run(unfused).graph();
        Tensor in = random(new int[] {1, 3, 224, 224}, 4);
        int reps = Integer.getInteger("bench.reps", 300);
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Graph[] every = {unfused, selected, all, capped};
        String[] allNames = {"unfused", "selected", "all", "h<=" + maxH + "|h>=" + minH};
        // -Dbench.variants=0,1 runs only those (fewer networks in turn share the caches less).
        int[] pick = java.util.Arrays.stream(System.getProperty("bench.variants", maxH > 0 ? "0,1,2,3" : "0,1,2").split(","))
                .mapToInt(Integer::parseInt).toArray();
        Graph[] gs = new Graph[pick.length];
        String[] names = new String[pick.length];
        for (int i = 0; i < pick.length; i++) {
            gs[i] = every[pick[i]];
            names[i] = allNames[pick[i]];
        }
        int k = gs.length;
        Executor[] ex = new Executor[k];
        try {
            for (int e = 0; e < k; e++) ex[e] = new Executor(gs[e], THREADS);
            int[] nSteps = new int[k];
            for (int e = 0; e < k; e++) nSteps[e] = ex[e].plan(Map.of(gs[e].inputs().get(0).name(), new int[] {1, 3, 224, 224})).steps().size();
            long[][][] st = new long[k][reps][];
            long[][] wall = new long[k][reps], cpu = new long[k][reps];
            for (int it = -reps; it < reps; it++) {
                for (int e = 0; e < k; e++) {
                    long[] s = new long[nSteps[e]];
                    long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                    ex[e].run(new Tensor[] {in}, s);
                    if (it >= 0) {
                        wall[e][it] = System.nanoTime() - w0;
                        cpu[e][it] = mx.getCurrentThreadCpuTime() - c0;
                        st[e][it] = s;
                    }
                }
            }
            for (int e = 0; e < k; e++) {
                var steps = ex[e].plan(Map.of(gs[e].inputs().get(0).name(), new int[] {1, 3, 224, 224})).steps();
                double blocks = 0, rest = 0;
                StringBuilder per = new StringBuilder();
                for (int i = 0; i < nSteps[e]; i++) {
                    long[] v = new long[reps];
                    for (int r = 0; r < reps; r++) v[r] = st[e][r][i];
                    Arrays.sort(v);
                    Node n = steps.get(i).node();
                    boolean inBlock = n.opType().equals(dev.edgeopt.ops.FusedOps.INVERTED_RESIDUAL) || n.opType().equals("Add")
                            || (n.opType().contains("Conv") && !(i == 0) && !(n.output(0).shape().dim(1).value() == 1280));
                    if (inBlock) blocks += v[reps / 2] / 1e6; else rest += v[reps / 2] / 1e6;
                    if (Boolean.getBoolean("bench.steps")) {
                        Value x = n.input(0);
                        per.append(String.format("    %2d %-18s %-34s %7.3f%n", i, n.opType(),
                                x.shape() + "->" + n.output(0).shape(), v[reps / 2] / 1e6));
                    }
                }
                Arrays.sort(wall[e]);
                Arrays.sort(cpu[e]);
                System.out.printf("%-9s wall min %.2f med %.2f; cpu min %.2f med %.2f ms; step medians: blocks %.3f, rest %.3f ms%n%s",
                        names[e], wall[e][0] / 1e6, wall[e][reps / 2] / 1e6, cpu[e][0] / 1e6, cpu[e][reps / 2] / 1e6, blocks, rest, per);
            }
        } finally {
            for (Executor e : ex) if (e != null) e.close();
        }
    }

    /** The graph with any InvertedResidual node written back as the FusedConv/Conv/Add chain the engine runs without it. */
    private static Graph unfusedBlocks(Graph g) {
        if (!g.opHistogram().containsKey(dev.edgeopt.ops.FusedOps.INVERTED_RESIDUAL)) return g;
        Graph u = g.copy();
        dev.edgeopt.ops.FusedOps.unfuse(u);
        ShapeInference.annotate(u, null);
        return new dev.edgeopt.passes.PassManager(List.of(new dev.edgeopt.passes.FuseActivation(),
                new dev.edgeopt.passes.EliminateDeadCode())).run(u).graph();
    }

    /**
     * mobilenet_v2 in the Java engine and in ONNX Runtime, one run of each in turn
     * ({@code -Dbench.reps}, default 300, after as many warm-up pairs), so both see the same
     * machine load: min and median wall time and calling-thread CPU time of each, and their
     * ratios. Java runs the graph after the engine's pipeline (as {@code bench --graph-opt all});
     * ORT gets the original model at its level ALL. At one thread ORT computes on the calling
     * thread too, so the CPU-time ratio is the load-independent figure.
     */
    @Test
    void mobilenetVsOrt() {
        Graph raw = OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx"));
        Graph g = dev.edgeopt.passes.Pipelines.engine(dev.edgeopt.passes.Pipelines.Level.ALL).run(raw).graph();
        Tensor in = random(new int[] {1, 3, 224, 224}, 4);
        int reps = Integer.getInteger("bench.reps", 300);
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (Executor ex = new Executor(g, THREADS);
             OrtRunner ort = new OrtRunner(TestPaths.sharedModel("mobilenet_v2.onnx"), THREADS, OrtRunner.OptLevel.ALL);
             OrtRunner.Prepared p = ort.prepare(in)) {
            long[][] wall = new long[2][reps], cpu = new long[2][reps];
            Runnable[] engines = {() -> ex.run(in), p::run};
            for (int it = -reps; it < reps; it++) {
                for (int e = 0; e < 2; e++) {
                    long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                    engines[e].run();
                    if (it >= 0) {
                        wall[e][it] = System.nanoTime() - w0;
                        cpu[e][it] = mx.getCurrentThreadCpuTime() - c0;
                    }
                }
            }
            for (long[] a : wall) Arrays.sort(a);
            for (long[] a : cpu) Arrays.sort(a);
            int mid = reps / 2;
            System.out.printf("mobilenet_v2, %d thread(s), %d alternating runs each%n", THREADS, reps);
            System.out.printf("  java wall min %.2f median %.2f ms; cpu min %.2f median %.2f ms%n",
                    wall[0][0] / 1e6, wall[0][mid] / 1e6, cpu[0][0] / 1e6, cpu[0][mid] / 1e6);
            System.out.printf("  ort  wall min %.2f median %.2f ms; cpu min %.2f median %.2f ms%n",
                    wall[1][0] / 1e6, wall[1][mid] / 1e6, cpu[1][0] / 1e6, cpu[1][mid] / 1e6);
            System.out.printf("  java/ort: wall min %.3f median %.3f; cpu min %.3f median %.3f%n",
                    wall[0][0] / (double) wall[1][0], wall[0][mid] / (double) wall[1][mid],
                    cpu[0][0] / (double) cpu[1][0], cpu[0][mid] / (double) cpu[1][mid]);
        }
    }
}
