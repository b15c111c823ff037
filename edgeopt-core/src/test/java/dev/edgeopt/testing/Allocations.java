package dev.edgeopt.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

/** Allocation checks for kernels that promise no allocation per inference. */
public final class Allocations {
    private Allocations() {}

    /**
     * Runs {@code run} on this thread until one call allocates nothing, at most {@code maxRuns}
     * times, and fails naming {@code what} if the last call still allocated. Early calls may
     * allocate (interpreter, C1, vector boxing before C2 compiles the loop); steady state must not.
     */
    public static void assertSteadyStateAllocatesNothing(String what, Runnable run, int maxRuns) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long last = -1;
        for (int i = 0; i < maxRuns && last != 0; i++) {
            long before = mx.getThreadAllocatedBytes(tid);
            run.run();
            last = mx.getThreadAllocatedBytes(tid) - before;
        }
        assertTrue(last == 0, what + " still allocates " + last + " bytes per run");
    }
}
