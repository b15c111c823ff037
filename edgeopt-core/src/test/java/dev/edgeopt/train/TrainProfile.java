package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import java.util.SplittableRandom;

/**
 * Where a training step's time goes, per op type and per node, for a reference architecture (a
 * developer tool, not a test): {@code java ... TrainProfile ARCH THREADS STEPS}. Steps are timed
 * with the thread's CPU time as well as wall time, since the machine is shared.
 */
public final class TrainProfile {
    public static void main(String[] args) {
        String arch = args.length > 0 ? args[0] : "cnn";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1, steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Graph g = Architectures.build(arch, new int[] {1, 28, 28}, 10, 1.0, 0);
        Parameters p = new Parameters(g);
        Tape t = new Tape(g, p, new int[][] {{128, 1, 28, 28}}, ThreadPool.shared(threads), 0, false);
        SplittableRandom r = new SplittableRandom(0);
        float[] x = t.input(0).floats();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int[] labels = new int[128];
        for (int i = 0; i < 128; i++) labels[i] = i % 10;
        Optimizer opt = Optimizer.create("adamw", 5e-4f);
        int warm = Math.max(5, steps / 2);
        long wall = 0, optNanos = 0, zeroNanos = 0;
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = 0, alloc0 = 0;
        var threadBean = (com.sun.management.ThreadMXBean) bean;
        for (int s = 0; s < steps + warm; s++) {
            if (s == warm) {
                if (threads == 1) t.enableProfile(bean::getCurrentThreadCpuTime);
                else t.enableProfile();
                cpu0 = bean.getCurrentThreadCpuTime();
                alloc0 = threadBean.getCurrentThreadAllocatedBytes();
            }
            long t0 = System.nanoTime();
            var out = t.forward(true)[0];
            long z0 = System.nanoTime();
            t.zeroGrad();
            p.zeroGrad();
            if (s >= warm) zeroNanos += System.nanoTime() - z0;
            Losses.softmaxCrossEntropy(out, labels, 0, t.outputGrad(0), null);
            t.backward();
            long t1 = System.nanoTime();
            opt.step(p, 1e-3f);
            if (s >= warm) {
                wall += System.nanoTime() - t0;
                optNanos += System.nanoTime() - t1;
            }
        }
        long cpu = bean.getCurrentThreadCpuTime() - cpu0;
        long alloc = threadBean.getCurrentThreadAllocatedBytes() - alloc0;
        System.out.printf("%s %d thread(s): %.0f img/s wall, %.0f img/s by main-thread CPU time; optimizer %.2f ms/step, zeroGrad %.2f ms/step; main thread allocated %d bytes/step%n",
                arch, threads, steps * 128 / (wall / 1e9), steps * 128 / (cpu / 1e9), optNanos / 1e6 / steps, zeroNanos / 1e6 / steps, alloc / steps);
        t.profileByOp().forEach(System.out::println);
        t.profile().forEach(System.out::println);
    }
}
