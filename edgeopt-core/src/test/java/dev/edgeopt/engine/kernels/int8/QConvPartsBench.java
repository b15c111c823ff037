package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in ({@code -Dbench=true}): where a pointwise QLinearConv's time goes, one thread, in thread
 * CPU time: the whole kernel against its parts (input to float, the fp32 GEMM, the requantizing
 * epilogue) on mobilenet_v2's 1x1 shapes.
 *
 * <pre>./mvnw -q -o -pl edgeopt-core test -Dtest=QConvPartsBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QConvPartsBench {
    @Test
    void parts() {
        int[][] shapes = {{16, 96, 112 * 112}, {96, 24, 56 * 56}, {24, 144, 56 * 56}, {144, 24, 56 * 56}, {64, 384, 196}, {960, 160, 49}};
        System.out.printf("load %.1f; microseconds per run (best thread CPU time)%n%-20s %9s %9s %9s %9s %9s%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), "K -> M @ P", "kernel", "toFloat", "gemm", "requant", "sum");
        for (int[] s : shapes) {
            int k = s[0], m = s[1], p = s[2], h = (int) Math.sqrt(p);
            Tensor[] ins = QLinearAllocationTest.conv(DType.INT8, new int[] {1, k, h, h}, m, 1, 1, 1);
            java.util.Arrays.fill(ins[4].floats(), 0.001f);
            Graph g = new Graph("t");
            List<Value> vs = new ArrayList<>();
            for (int i = 0; i < ins.length; i++) vs.add(g.addInitializer("i" + i, ins[i]));
            Node n = g.insertNode(0, "QLinearConv", "", "n", vs, List.of("y"));
            TensorType[] inT = new TensorType[ins.length];
            Tensor[] consts = new Tensor[ins.length];
            for (int i = 0; i < ins.length; i++) {
                inT[i] = ins[i].type();
                consts[i] = i == 0 ? null : ins[i];
            }
            TensorType out = TensorType.of(DType.INT8, 1, m, h, h);
            Tensor[] outs = {Tensor.allocate(DType.INT8, 1, m, h, h)};
            Scratch scratch = new Scratch();
            ThreadPool pool = ThreadPool.shared(1);
            Kernel kern = KernelRegistry.standard().require(n).create(new KernelContext(n, 13, inT, new TensorType[] {out}, consts, pool, scratch));
            float[] wf = new float[m * k], xf = new float[k * p], yf = new float[m * p];
            GemmJob job = new GemmJob(new KernelContext(null, 13, new TensorType[0], new TensorType[0], null, pool, scratch),
                    m, p, k, wf, 0, k, 1, 1f, null, 0, p, 1, p);
            scratch.seal();
            job.b = xf;
            job.c = yf;
            byte[] x = ins[0].bytes(), y = outs[0].bytes();
            double tk = best(() -> kern.run(ins, outs));
            double tf = best(() -> ExactFloat.toFloat(x, 0, xf, 0, k * p, false, 3));
            double tg = best(job::run);
            double tr = best(() -> {
                for (int r = 0; r < m; r++) Requantize.requantizeSums(yf, r * p, 1, 0, 5, y, r * p, p, 1 << 30, -7, 1, -128, 127);
            });
            System.out.printf("%-20s %9.1f %9.1f %9.1f %9.1f %9.1f%n", k + " -> " + m + " @ " + p, tk, tf, tg, tr, tf + tg + tr);
        }
    }

    static double best(Runnable r) {
        var mx = ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 200; round++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < 5; i++) r.run();
            best = Math.min(best, mx.getCurrentThreadCpuTime() - t0);
        }
        return best / 5 / 1e3;
    }
}
