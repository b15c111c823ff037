package dev.edgeopt.train;

import dev.edgeopt.engine.ThreadPool;

/**
 * Static partitioning of a range over the pool. Task {@code t} always gets the same slice for a
 * given thread count, which is what makes per-task partial sums (reduced in task order) give
 * byte-identical results run after run.
 */
final class Parallel {
    private Parallel() {}

    interface Body { void run(int task, int start, int end); }

    /** Number of tasks {@link #range} uses for n items. */
    static int tasks(ThreadPool pool, int n) { return Math.max(1, Math.min(pool.threads(), n)); }

    static void range(ThreadPool pool, int n, Body body) {
        int t = tasks(pool, n);
        if (t == 1) {
            body.run(0, 0, n);
            return;
        }
        pool.parallelFor(t, k -> body.run(k, (int) ((long) n * k / t), (int) ((long) n * (k + 1) / t)));
    }
}
