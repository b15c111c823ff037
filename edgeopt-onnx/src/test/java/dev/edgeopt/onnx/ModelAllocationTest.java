package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reference models (mlp, cnn, dscnn, resnet8; fp32 through the engine pipeline and int8
 * through the integer engine) allocate nothing per inference through {@link Executor#runInto},
 * counted on the calling thread and on every pool worker, in a JVM that first ran mobilenet_v2 and
 * squeezenet1_1. Those two run the shared fp32 kernels on other shapes and other vector sizes
 * (the depthwise and direct convs' 8-lane vectors beside the GEMM's 16), which is what made C2
 * recompile the GEMM micro-kernels into versions that boxed a vector per tile: 6.5-22.6 KB per
 * inference on fp32 cnn/dscnn/resnet8 and 10.6 KB on int8 cnn/resnet8 before the kernels
 * dispatched every vector operation at their own call sites (see {@code Sgemm}).
 *
 * <p>After {@value #WARMUP} runs, each model must run {@value #STEADY} inferences in a row that
 * allocate nothing within {@value #MAX_RUNS} runs. A run may still allocate once while C2 settles
 * (a recompilation sends the next call through the interpreter, where every vector operation
 * allocates); what this rules out is a version that allocates on every inference.
 */
class ModelAllocationTest {
    static final int STEADY = 200;
    static final int WARMUP = 3000;
    static final int MAX_RUNS = 20_000;
    /** Pool sizes the models run with: C2 settled on the boxing versions with one thread, not with two. */
    static final int[] THREADS = {1, 2};

    static Tensor input(int[] dims, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[Tensor.numel(dims)];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return Tensor.of(x, dims);
    }

    static int[] dims(Shape s) {
        int[] d = new int[s.rank()];
        for (int i = 0; i < d.length; i++) d[i] = s.dim(i).isKnown() ? (int) s.dim(i).value() : 1;
        return d;
    }

    /** Bytes allocated so far by this thread and every edgeopt pool worker. */
    static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long s = 0;
        for (long id : ids) s += mx.getThreadAllocatedBytes(id);
        return s;
    }

    @Test
    void referenceModelsAllocateNothingAfterOtherShapes() {
        int[] in = {1, 28, 28};
        // Other shapes first (before the reference models are even quantized, which runs them): 100
        // runs each is enough for C2 to compile the shared kernels for them.
        for (String file : new String[] {"mobilenet_v2.onnx", "squeezenet1_1.onnx"}) {
            Graph g = OnnxImporter.load(TestPaths.sharedModel(file));
            try (Executor e = new Executor(Pipelines.engine(Pipelines.Level.ALL).run(g).graph(), 1)) {
                Tensor x = input(dims(g.inputs().get(0).type().shape()), 3);
                for (int i = 0; i < 100; i++) e.run(x);
            }
        }

        Dataset calib;
        {
            SplittableRandom r = new SplittableRandom(5);
            float[] x = new float[8 * 28 * 28];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
            calib = new Dataset("random", x, in, new int[8], 1, Collections.nCopies(1, "c"));
        }
        Map<String, Executor> refs = new LinkedHashMap<>();
        List<AutoCloseable> close = new ArrayList<>();
        for (int threads : THREADS) {
            for (String arch : Architectures.NAMES) {
                Graph g = Architectures.build(arch, in, 10, 1.0, 1);
                Executor f = new Executor(Pipelines.engine(Pipelines.Level.ALL).run(g).graph(), threads);
                close.add(f);
                refs.put(arch + " fp32, " + threads + " thread(s)", f);
                Int8Engine e = new Int8Engine(PostTrainingQuantizer.quantize(g, calib, PostTrainingQuantizer.Options.defaults().withSamples(8)).qdq(), threads);
                close.add(e);
                refs.put(arch + " int8, " + threads + " thread(s)", e.executor());
            }
        }
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Long> ids = new ArrayList<>(List.of(Thread.currentThread().threadId()));
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("edgeopt-worker")) ids.add(t.threadId());
        long[] tids = ids.stream().mapToLong(Long::longValue).toArray();
        assertTrue(tids.length >= 2, "the calling thread and the 2-thread pool's worker");

        Map<String, String> failures = new LinkedHashMap<>();
        for (var ref : refs.entrySet()) {
            Executor e = ref.getValue();
            Tensor x = input(new int[] {1, 1, 28, 28}, 7);
            Tensor want = e.run(x)[0];
            Tensor[] xs = {x}, out = {Tensor.allocate(want.dtype(), want.dims())};
            // Warm-up long enough for C2 to recompile the kernels for this model's shapes: the
            // boxing versions appeared only after such recompilations, not in the first runs.
            for (int i = 0; i < WARMUP; i++) e.runInto(xs, out);
            int runs = WARMUP, zeros = 0;
            long last = 0;
            while (zeros < STEADY && runs < MAX_RUNS) {
                long b = allocated(mx, tids);
                e.runInto(xs, out);
                long d = allocated(mx, tids) - b;
                runs++;
                if (d == 0) {
                    zeros++;
                } else {
                    zeros = 0;
                    last = d;
                }
            }
            if (zeros < STEADY) failures.put(ref.getKey(), last + " B/inference, still after " + runs + " runs");
        }
        for (AutoCloseable c : close) {
            try {
                c.close();
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
        }
        assertEquals(Map.of(), failures, "models that still allocate per inference");
    }
}
