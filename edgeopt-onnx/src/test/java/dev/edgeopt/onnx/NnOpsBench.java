package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in timings of the NN kernels on the reference models' shapes, next to ONNX Runtime on the
 * same thread count: {@code -Dbench=true -Dtest=NnOpsBench}. Prints; asserts nothing about time.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class NnOpsBench {
    static void time(String what, SingleNodeOracle o, Tensor x, int threads) {
        Graph g = o.graph();
        try (Executor ex = new Executor(g, threads); OrtRunner ort = new OrtRunner(g, threads, OrtRunner.OptLevel.ALL);
             OrtRunner.Prepared p = ort.prepare(x)) {
            long java = best(() -> ex.run(x)), rt = best(p::run);
            System.out.printf("%-46s threads=%d  edgeopt %8.1f us   ORT %8.1f us%n", what, threads, java / 1e3, rt / 1e3);
        }
    }

    /** Fastest single run after warm-up: on a shared machine the minimum is the stable statistic. */
    static long best(Runnable r) {
        for (int i = 0; i < 200; i++) r.run();
        long best = Long.MAX_VALUE;
        for (int rep = 0; rep < 300; rep++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    @Test
    void kernels() {
        for (int threads : new int[] {1, 2}) {
            Tensor x = randn(1, 1, 64, 111, 111);
            time("MaxPool 3x3/2 ceil [1,64,111,111]", new SingleNodeOracle("MaxPool", 13).staticInput(x)
                    .ints("kernel_shape", 3L, 3L).ints("strides", 2L, 2L).attr("ceil_mode", 1L), x, threads);
            Tensor x2 = randn(2, 1, 64, 56, 56);
            time("MaxPool 2x2/2 [1,64,56,56]", new SingleNodeOracle("MaxPool", 13).staticInput(x2)
                    .ints("kernel_shape", 2L, 2L).ints("strides", 2L, 2L), x2, threads);
            time("AveragePool 3x3/1 pad1 [1,64,56,56]", new SingleNodeOracle("AveragePool", 13).staticInput(x2)
                    .ints("kernel_shape", 3L, 3L).ints("pads", 1L, 1L, 1L, 1L), x2, threads);
            Tensor x3 = randn(3, 1, 32, 112, 112);
            time("BatchNormalization [1,32,112,112]", new SingleNodeOracle("BatchNormalization", 13).staticInput(x3)
                    .constant(randn(4, 32)).constant(randn(5, 32)).constant(randn(6, 32))
                    .constant(SingleNodeOracle.uniform(7, 0.5f, 2f, 32)), x3, threads);
            Tensor x4 = randn(8, 1, 1280, 7, 7);
            time("GlobalAveragePool [1,1280,7,7]", new SingleNodeOracle("GlobalAveragePool", 13).staticInput(x4), x4, threads);
            Tensor x5 = randn(9, 1, 32, 56, 56);
            time("Resize linear x2 [1,32,56,56]", new SingleNodeOracle("Resize", 13).staticInput(x5)
                    .constant(Tensor.of(new float[0], 0)).constant(Tensor.of(new float[] {1, 1, 2, 2}, 4)).attr("mode", "linear"), x5, threads);
        }
    }
}
