package dev.edgeopt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
    @Test
    void everyTaskRunsExactlyOnceAcrossManyLoops() {
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int loop = 0; loop < 2000; loop++) {
                int tasks = 1 + loop % 17;
                AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
                pool.parallelFor(tasks, hits::incrementAndGet);
                for (int t = 0; t < tasks; t++) assertEquals(1, hits.get(t), "loop " + loop + " task " + t);
            }
        }
    }

    @Test
    void nestedLoopsRunInline() {
        try (ThreadPool pool = new ThreadPool(2)) {
            AtomicInteger sum = new AtomicInteger();
            pool.parallelFor(4, i -> pool.parallelFor(5, j -> sum.addAndGet(i * 5 + j)));
            assertEquals(190, sum.get());
        }
    }

    @Test
    void failuresPropagateToTheCaller() {
        try (ThreadPool pool = new ThreadPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pool.parallelFor(8, i -> { if (i == 5) throw new IllegalStateException("task 5"); }));
            assertEquals("task 5", e.getMessage());
            AtomicInteger ok = new AtomicInteger();
            pool.parallelFor(8, i -> ok.incrementAndGet());
            assertEquals(8, ok.get());
        }
    }
}
