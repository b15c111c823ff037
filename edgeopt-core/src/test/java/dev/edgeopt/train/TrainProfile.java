package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Per-node time of training steps of a reference architecture (a developer tool, not a test): java ... TrainProfile ARCH THREADS STEPS. */
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
        for (int s = 0; s < steps + 5; s++) {
            if (s == 5) t.enableProfile();
            long t0 = System.nanoTime();
            var out = t.forward(true)[0];
            t.zeroGrad();
            p.zeroGrad();
            Losses.softmaxCrossEntropy(out, labels, 0, t.outputGrad(0), null);
            t.backward();
            opt.step(p, 1e-3f);
            if (s >= 5 && s % 5 == 0) System.out.printf("step %.1f ms (%.0f img/s)%n", (System.nanoTime() - t0) / 1e6, 128 / ((System.nanoTime() - t0) / 1e9));
        }
        t.profile().forEach(System.out::println);
        System.out.println(Arrays.toString(new int[0]));
    }
}
