package dev.edgeopt.onnx;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.util.Collections;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in benchmark ({@code -Dbench=true}): batch-1 latency of whole models in the Java fp32 engine
 * (after the engine pipeline), the Java integer-only engine ({@link Int8Engine} on the QDQ model)
 * and ONNX Runtime on the same QDQ model. resnet8 (28x28, seeded weights) and
 * ../shared/models/mobilenet_v2.onnx, quantized with seeded smooth calibration images (8; 1 for mobilenet_v2, whose batch is fixed) (the speed
 * does not depend on the weights' values). Java fp32 and int8 run alternately in one process.
 * {@code -Dbench.threads=N} (default 1); {@code -Dbench.nodes=QLinearAdd} also prints each node of that
 * op with its best time. Prints; asserts nothing about time.
 *
 * <pre>./mvnw -q -o -pl edgeopt-onnx -am test -Dtest=Int8ModelBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true -Dbench.threads=1</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class Int8ModelBench {
    static final int THREADS = Integer.getInteger("bench.threads", 1);

    static Dataset blobs(int n, int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < n; i++) {
            double cx = r.nextDouble(0.3, 0.7) * w, cy = r.nextDouble(0.3, 0.7) * h, s = r.nextDouble(0.1, 0.3) * w;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        x[((i * c + ch) * h + y) * w + xx] = (float) Math.exp(-((xx - cx) * (xx - cx) + (y - cy) * (y - cy)) / (2 * s * s));
                    }
                }
            }
        }
        int[] labels = new int[n];
        return new Dataset("blobs", x, new int[] {c, h, w}, labels, 1, Collections.nCopies(1, "c"));
    }

    /** {@code calib} calibration images: 1 for a model whose batch is fixed at 1. */
    static void bench(String name, Graph model, int c, int h, int w, int calib) {
        Dataset d = blobs(calib, c, h, w, 3);
        Graph qdq = PostTrainingQuantizer.quantize(model, d, PostTrainingQuantizer.Options.defaults().withSamples(calib)).qdq();
        float[] xa = new float[c * h * w];
        d.copySample(0, xa, 0);
        Tensor x = Tensor.of(xa, 1, c, h, w);
        Graph fp32 = Pipelines.engine(Pipelines.Level.ALL).run(model).graph();
        try (Executor ef = new Executor(fp32, THREADS); Int8Engine ei = new Int8Engine(qdq, THREADS);
             OrtRunner oq = new OrtRunner(OnnxExporter.toBytes(qdq), THREADS, OrtRunner.OptLevel.ALL); OrtRunner.Prepared pq = oq.prepare(x);
             OrtRunner of = new OrtRunner(OnnxExporter.toBytes(model), THREADS, OrtRunner.OptLevel.ALL); OrtRunner.Prepared pf = of.prepare(x)) {
            int reps = name.startsWith("mobilenet") ? 60 : 300;
            long[] t = QLinearBench.medians(reps, () -> ef.run(x), () -> ei.run(x), pq::run, pf::run);
            System.out.printf("%-14s threads %d load %.1f: java fp32 %.3f ms, java int8 %.3f ms (%.2fx fp32), ORT int8 QDQ %.3f ms, ORT fp32 %.3f ms; float ops left: %s%n",
                    name, THREADS, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                    t[0] / 1e6, t[1] / 1e6, (double) t[1] / t[0], t[2] / 1e6, t[3] / 1e6, ei.floatOps());
            long[] bf = profile("java fp32", ef, x), bi = profile("java int8", ei.executor(), x);
            if (Boolean.getBoolean("bench.layers")) layers(ef, bf, ei.executor(), bi, x);
        }
    }

    /**
     * With {@code -Dbench.layers=true}: the conv layers of both engines side by side, matched by
     * order (fusion and lowering keep one conv step per Conv), with output shape and best times.
     */
    static void layers(Executor ef, long[] bf, Executor ei, long[] bi, Tensor x) {
        var sf = convSteps(ef, x);
        var si = convSteps(ei, x);
        System.out.printf("  %-4s %-18s %-6s %9s %9s %6s%n", "#", "output", "group", "fp32 us", "int8 us", "ratio");
        for (int i = 0; i < Math.min(sf.size(), si.size()); i++) {
            int a = sf.get(i), b = si.get(i);
            var step = ei.plan(java.util.Map.of(ei.graph().inputs().get(0).name(), x.dims())).steps().get(b);
            System.out.printf("  %-4d %-18s %-6d %9.1f %9.1f %6.2f%n", i, java.util.Arrays.toString(step.outputs()[0].dims()),
                    step.node().attrInt("group", 1), bf[a] / 1e3, bi[b] / 1e3, (double) bi[b] / bf[a]);
        }
    }

    private static java.util.List<Integer> convSteps(Executor ex, Tensor x) {
        var steps = ex.plan(java.util.Map.of(ex.graph().inputs().get(0).name(), x.dims())).steps();
        java.util.List<Integer> r = new java.util.ArrayList<>();
        for (int i = 0; i < steps.size(); i++) if (steps.get(i).node().opType().contains("Conv")) r.add(i);
        return r;
    }

    /** Sum over steps of each op kind's best time in 30 runs; returns each step's best time. */
    static long[] profile(String what, Executor ex, Tensor x) {
        var steps = ex.plan(java.util.Map.of(ex.graph().inputs().get(0).name(), x.dims())).steps();
        long[] best = new long[steps.size()];
        java.util.Arrays.fill(best, Long.MAX_VALUE);
        for (int it = 0; it < 30; it++) {
            long[] st = new long[steps.size()];
            ex.run(new Tensor[] {x}, st);
            for (int i = 0; i < st.length; i++) best[i] = Math.min(best[i], st[i]);
        }
        java.util.Map<String, Long> byKind = new java.util.TreeMap<>();
        String nodesOf = System.getProperty("bench.nodes", "");
        for (int i = 0; i < best.length; i++) {
            var n = steps.get(i).node();
            if (n.opType().equals(nodesOf)) {
                System.out.printf("  %s %-24s %-18s %7.1f us%n", what, n.name(), java.util.Arrays.toString(steps.get(i).outputs()[0].dims()), best[i] / 1e3);
            }
            String kind = n.opType() + (n.attrInt("group", 1) > 1 ? " depthwise" : "");
            byKind.merge(kind, best[i], Long::sum);
        }
        StringBuilder sb = new StringBuilder("  " + what + ":");
        byKind.forEach((k, v) -> sb.append(String.format(" %s %.2f ms;", k, v / 1e6)));
        System.out.println(sb);
        return best;
    }

    @Test
    void models() throws java.io.IOException {
        bench("resnet8", Architectures.build("resnet8", new int[] {1, 28, 28}, 10, 1.0, 1), 1, 28, 28, 8);
        bench("mobilenet_v2", OnnxImporter.load(TestPaths.sharedModel("mobilenet_v2.onnx")), 3, 224, 224, 1);
    }
}
