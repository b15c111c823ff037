package dev.edgeopt.quant;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.Plan;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in probe ({@code -Dalloc.models=true}): does a whole model run through
 * {@link Executor#runInto} without allocating once the JIT has settled? For resnet8 and dscnn, int8
 * (QDQ lowered by {@link Int8Engine}) and fp32 (engine pipeline), on one thread: runs up to 30,000
 * inferences until one allocates nothing on the calling thread, then, if none did, prints each
 * kernel that still allocates in 2,000 further runs. Prints; asserts nothing, because the answer
 * depends on the JIT's history in the JVM. The test of whole models after other shapes is
 * {@code ModelAllocationTest} (edgeopt-onnx).
 *
 * <pre>./mvnw -q -o -pl edgeopt-core test -Dtest=ModelAllocationProbe -Dsurefire.failIfNoSpecifiedTests=false -Dalloc.models=true</pre>
 */
@EnabledIfSystemProperty(named = "alloc.models", matches = "true")
class ModelAllocationProbe {
    /** Seeded smooth images in [0, 1] for calibration and as the input. */
    static Dataset images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 28 * 28];
        for (int i = 0; i < n; i++) {
            double cx = r.nextDouble(8, 20), cy = r.nextDouble(8, 20), s = r.nextDouble(3, 8);
            for (int y = 0; y < 28; y++) {
                for (int xx = 0; xx < 28; xx++) x[(i * 28 + y) * 28 + xx] = (float) Math.exp(-((xx - cx) * (xx - cx) + (y - cy) * (y - cy)) / (2 * s * s));
            }
        }
        return new Dataset("blobs", x, new int[] {1, 28, 28}, new int[n], 1, Collections.nCopies(1, "c"));
    }

    static void probe(String what, Executor e, Tensor x) {
        Tensor want = e.run(x)[0];
        Tensor[] in = {x}, out = {Tensor.allocate(want.dtype(), want.dims())};
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long last = -1;
        int runs = 0;
        for (; runs < 30_000 && last != 0; runs++) {
            long before = mx.getThreadAllocatedBytes(tid);
            e.runInto(in, out);
            last = mx.getThreadAllocatedBytes(tid) - before;
        }
        // Compared with a run after the JIT has settled: the first, interpreted, run may differ in
        // the last bits of float sums.
        want = e.run(x)[0];
        System.out.printf("%-14s %s after %d runs (runInto %s run)%n", what, last == 0 ? "allocates nothing" : "still allocates " + last + " B/inference",
                runs, out[0].contentEquals(want) ? "equals" : "DIFFERS FROM");
        if (last == 0) return;
        Plan plan = e.plan(java.util.Map.of(e.graph().inputs().get(0).name(), x.dims()));
        long[] per = new long[plan.steps().size()];
        for (int it = 0; it < 2000; it++) {
            for (int k = 0; k < per.length; k++) {
                Plan.Step st = plan.steps().get(k);
                if (st.skipped()) continue;
                long b0 = mx.getThreadAllocatedBytes(tid);
                st.kernel().run(st.inputs(), st.outputs());
                per[k] = mx.getThreadAllocatedBytes(tid) - b0;
            }
        }
        for (int k = 0; k < per.length; k++) {
            Plan.Step st = plan.steps().get(k);
            if (per[k] != 0) {
                System.out.printf("  %s %s %s -> %s group %d: %d B/run%n", st.node().opType(), st.node().name(), java.util.Arrays.toString(st.inputs()[0].dims()),
                        java.util.Arrays.toString(st.outputs()[0].dims()), st.node().attrInt("group", 1), per[k]);
            }
        }
    }

    @Test
    void models() {
        for (String arch : new String[] {"resnet8", "dscnn"}) {
            Graph model = Architectures.build(arch, new int[] {1, 28, 28}, 10, 1.0, 1);
            Dataset d = images(8, 5);
            float[] xa = new float[28 * 28];
            d.copySample(3, xa, 0);
            Tensor x = Tensor.of(xa, 1, 1, 28, 28);
            Graph qdq = PostTrainingQuantizer.quantize(model, d, PostTrainingQuantizer.Options.defaults().withSamples(8)).qdq();
            try (Int8Engine e = new Int8Engine(qdq, 1)) {
                probe(arch + " int8", e.executor(), x);
            }
            try (Executor e = new Executor(Pipelines.engine(Pipelines.Level.ALL).run(model).graph(), 1)) {
                probe(arch + " fp32", e, x);
            }
        }
    }
}
