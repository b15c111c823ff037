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

    /**
     * A loop bound once to its pool and body, so running it allocates nothing (a lambda per call
     * would capture n and the task count). Ops create one per parallel body at creation time.
     */
    static final class Loop implements java.util.function.IntConsumer {
        private final ThreadPool pool;
        private final Body body;
        private int n, t;

        Loop(ThreadPool pool, Body body) {
            this.pool = pool;
            this.body = body;
        }

        void run(int items) {
            int tasks = tasks(pool, items);
            if (tasks == 1) {
                body.run(0, 0, items);
                return;
            }
            n = items;
            t = tasks;
            pool.parallelFor(tasks, this);
        }

        @Override public void accept(int k) { body.run(k, (int) ((long) n * k / t), (int) ((long) n * (k + 1) / t)); }
    }

    static void range(ThreadPool pool, int n, Body body) {
        int t = tasks(pool, n);
        if (t == 1) {
            body.run(0, 0, n);
            return;
        }
        pool.parallelFor(t, k -> body.run(k, (int) ((long) n * k / t), (int) ((long) n * (k + 1) / t)));
    }
}
