package dev.edgeopt.onnx;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PollutedAllocationProbe;
import dev.edgeopt.quant.PollutedAllocationProbe.M;
import dev.edgeopt.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A developer tool, not a test ({@code main}): runs the model files in {@code -Dpollute=a.onnx,...}
 * ({@code -Dpwarm} runs each), then prints the bytes per inference of each file in
 * {@code -Drefs=...} through {@link Executor#runInto} after {@code -Dwarm} runs (calling thread and
 * pool workers), and for a model that allocates, the bytes of each kernel. Files whose name
 * contains int8 or qop run through the integer engine. Add {@code -XX:+UnlockDiagnosticVMOptions
 * -XX:+PrintCompilation -XX:CompileCommand=PrintInlining,CLASS::METHOD} or a JFR recording with
 * {@code jdk.ObjectAllocationSample#throttle=20000/s} to see which call sites box.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xbatch -Dthreads=1 -Dpollute=../shared/models/mobilenet_v2.onnx,../shared/models/squeezenet1_1.onnx
 *   -Drefs=/work/artifacts/dscnn.onnx,/work/artifacts/final/dscnn.int8.onnx -Dpwarm=100 -cp CLASSPATH dev.edgeopt.onnx.OnnxAllocationProbe</pre>
 */
public final class OnnxAllocationProbe {
    static M load(String file, int threads) {
        Graph g = OnnxImporter.load(Path.of(file));
        boolean q = file.contains("int8") || file.contains("qop");
        Graph opt = q ? Int8Engine.lower(g) : Pipelines.engine(Pipelines.Level.ALL).run(g).graph();
        var sh = g.inputs().get(0).type().shape();
        int[] dims = new int[sh.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = sh.dim(i).isKnown() ? (int) sh.dim(i).value() : 1;
        float[] x = new float[Tensor.numel(dims)];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return new M(Path.of(file).getFileName().toString(), new Executor(opt, threads), Tensor.of(x, dims));
    }

    static void perStep(M m) {
        dev.edgeopt.engine.Plan plan = m.e().plan(java.util.Map.of(m.e().graph().inputs().get(0).name(), m.x().dims()));
        long[] per = new long[plan.steps().size()];
        for (int it = 0; it < 500; it++) {
            for (int k = 0; k < per.length; k++) {
                dev.edgeopt.engine.Plan.Step st = plan.steps().get(k);
                if (st.skipped()) continue;
                long b0 = PollutedAllocationProbe.allocated();
                st.kernel().run(st.inputs(), st.outputs());
                per[k] = PollutedAllocationProbe.allocated() - b0;
            }
        }
        for (int k = 0; k < per.length; k++) {
            dev.edgeopt.engine.Plan.Step st = plan.steps().get(k);
            if (per[k] != 0) {
                System.out.printf("  %s %s %s %s -> %s: %d B/run%n", st.node().opType(), st.node().name(), st.kernel().getClass().getSimpleName(),
                        java.util.Arrays.toString(st.inputs()[0].dims()), java.util.Arrays.toString(st.outputs()[0].dims()), per[k]);
            }
        }
    }

    public static void main(String[] args) {
        int threads = Integer.parseInt(System.getProperty("threads", "1"));
        List<M> polluters = new ArrayList<>(), refs = new ArrayList<>();
        for (String f : System.getProperty("pollute", "").split(",")) if (!f.isEmpty()) polluters.add(load(f, threads));
        for (String f : System.getProperty("refs").split(",")) refs.add(load(f, threads));
        List<Long> t = new ArrayList<>();
        t.add(Thread.currentThread().threadId());
        for (Thread th : Thread.getAllStackTraces().keySet()) if (th.getName().startsWith("edgeopt-worker")) t.add(th.threadId());
        PollutedAllocationProbe.tids = t.stream().mapToLong(Long::longValue).toArray();
        if (Boolean.getBoolean("train")) {
            for (String a : dev.edgeopt.models.Architectures.NAMES) PollutedAllocationProbe.train(a, 16, threads, 15);
        }
        int pw = Integer.getInteger("pwarm", 300);
        for (M m : polluters) {
            long t0 = System.nanoTime();
            long[] p = PollutedAllocationProbe.measure(m, pw, 5);
            System.out.printf("pollute %-30s %6d B (%d ms)%n", m.name(), p[4], (System.nanoTime() - t0) / 1_000_000);
        }
        for (int round = 0; round < Integer.getInteger("rounds", 1); round++) {
            for (M m : refs) {
                long t0 = System.nanoTime();
                long[] p = PollutedAllocationProbe.measure(m, Integer.getInteger("warm", 3000), 200);
                long min = Long.MAX_VALUE, max = 0, sum = 0;
                for (long v : p) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    sum += v;
                }
                if (min > 0) perStep(m);
                System.out.printf("REF %-24s min %6d max %6d mean %8.1f B/inference (%d ms)%n", m.name(), min, max, sum / 200.0, (System.nanoTime() - t0) / 1_000_000);
            }
        }
        System.exit(0);
    }
}
