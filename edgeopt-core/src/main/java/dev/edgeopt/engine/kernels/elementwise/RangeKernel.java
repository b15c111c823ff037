package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * A kernel whose work is a flat range of output elements, split across the pool when the range is
 * large enough to pay for the hand-off. The task body is built once; per-run tensors are held in
 * fields, so {@link #run} allocates nothing (a plan runs one inference at a time).
 */
public abstract class RangeKernel implements Kernel {
    /** Elements below which one thread does all the work: a pool hand-off costs a few microseconds. */
    public static final int GRAIN = 1 << 15;

    private final ThreadPool pool;
    private final int[] bounds;
    private final IntConsumer task;
    protected Tensor[] in;
    protected Tensor[] out;

    /** @param n the number of elements; ranges start at multiples of {@code align} */
    protected RangeKernel(ThreadPool pool, int n, int align) { this(pool, n, align, 1); }

    /** @param work the cost of one element in elementary steps (e.g. a reduction's length), for the split */
    protected RangeKernel(ThreadPool pool, int n, int align, long work) {
        this.pool = pool;
        long total = (long) n * Math.max(1, work);
        int tasks = pool == null ? 1 : (int) Math.min(Math.min(pool.threads(), Math.max(1, n)), Math.max(1, total / GRAIN));
        bounds = new int[tasks + 1];
        for (int t = 1; t < tasks; t++) {
            long b = (long) n * t / tasks;
            bounds[t] = Math.max(bounds[t - 1], (int) (b / align * align));
        }
        bounds[tasks] = n;
        task = t -> range(bounds[t], bounds[t + 1]);
    }

    /** Computes output elements {@code [start, end)}. */
    protected abstract void range(int start, int end);

    /** Hook for work that must happen once per run before the ranges (e.g. reading runtime scalars). */
    protected void prepareRun() {}

    @Override public final void run(Tensor[] inputs, Tensor[] outputs) {
        in = inputs;
        out = outputs;
        prepareRun();
        if (bounds.length == 2) range(0, bounds[1]);
        else pool.parallelFor(bounds.length - 1, task);
        in = null;
        out = null;
    }
}
