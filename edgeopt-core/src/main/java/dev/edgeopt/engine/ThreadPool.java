package dev.edgeopt.engine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A persistent pool for data-parallel loops. The calling thread takes part, so {@code threads}
 * includes it. Workers spin briefly between loops before parking: an inference issues a hundred
 * short loops back to back, and a park/unpark round trip per loop would cost more than the loops.
 *
 * <p>Claims go through one atomic word holding (generation, next task). A worker only claims tasks
 * of the generation it woke for, and a generation is entered before its body and task count are
 * written, so a late worker can never run a task of one loop with another loop's body or count. {@link #parallelFor} allocates nothing.
 */
public final class ThreadPool implements AutoCloseable {
    private static final long SPIN_NANOS = 200_000;
    /** Task index of a generation whose body and tasks are not yet published. */
    private static final int PENDING = Integer.MAX_VALUE;
    private static final ConcurrentHashMap<Integer, ThreadPool> SHARED = new ConcurrentHashMap<>();

    private final int threads;
    private final Worker[] workers;
    private final AtomicLong state = new AtomicLong(); // generation << 32 | next task index
    private final AtomicInteger done = new AtomicInteger();
    private volatile IntConsumer body;
    private volatile int tasks;
    private volatile Throwable failure;
    private volatile boolean closed;
    private Thread owner; // the thread inside parallelFor, for nested-call detection

    public ThreadPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("edgeopt-worker-" + i);
            workers[i].start();
        }
    }

    /** A process-wide pool per thread count, so executors do not multiply threads. Never closed. */
    public static ThreadPool shared(int threads) {
        return SHARED.computeIfAbsent(threads, ThreadPool::new);
    }

    /** The number of threads that execute loops, including the caller. */
    public int threads() { return threads; }

    /**
     * Runs {@code body.accept(t)} for every t in [0, tasks), spread over the pool; returns when all
     * are done. Calls from inside a task, and pools of one thread, run inline.
     */
    public void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (threads == 1 || tasks == 1 || owner != null || Thread.currentThread() instanceof Worker) {
            for (int t = 0; t < tasks; t++) body.accept(t);
            return;
        }
        synchronized (this) {
            owner = Thread.currentThread();
            try {
                // The new generation is entered, with nothing claimable, BEFORE body and tasks
                // change: otherwise a worker still in the previous loop could read (old generation,
                // its last index), see the new, larger task count, win its CAS on the unchanged word
                // and run the new body at that index, which the new loop then runs again.
                long gen = (state.get() >>> 32) + 1;
                state.set(gen << 32 | PENDING);
                this.body = body;
                this.tasks = tasks;
                this.failure = null;
                done.set(0);
                state.set(gen << 32); // publishes body and tasks
                for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
                work(gen);
                while (done.get() < tasks) Thread.onSpinWait();
                this.body = null;
            } finally {
                owner = null;
            }
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                throw new RuntimeException(f);
            }
        }
    }

    private void work(long gen) {
        while (true) {
            long s = state.get();
            if ((s >>> 32) != gen) return;
            int idx = (int) s;
            if (idx == PENDING) { // this generation's body and tasks are being written
                Thread.onSpinWait();
                continue;
            }
            if (idx >= tasks) return;
            if (!state.compareAndSet(s, s + 1)) continue;
            try {
                body.accept(idx);
            } catch (Throwable t) {
                if (failure == null) failure = t;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    @Override public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override public void run() {
            long seen = 0;
            while (!closed) {
                long gen = state.get() >>> 32;
                if (gen != seen) {
                    seen = gen;
                    work(gen);
                    continue;
                }
                long until = System.nanoTime() + SPIN_NANOS;
                boolean woke = false;
                while (System.nanoTime() < until) {
                    if ((state.get() >>> 32) != seen || closed) { woke = true; break; }
                    Thread.onSpinWait();
                }
                if (woke) continue;
                parked = true;
                if ((state.get() >>> 32) == seen && !closed) LockSupport.park(this);
                parked = false;
            }
        }
    }
}
