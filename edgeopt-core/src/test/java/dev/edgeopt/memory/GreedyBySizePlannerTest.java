package dev.edgeopt.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GreedyBySizePlannerTest {
    @Test
    void exactOffsetsForAChain() {
        // a(0-1) feeds b(1-2) feeds c(2-3): a and c never live together, so c reuses a's space.
        List<Buffer> bufs = List.of(
                new Buffer("a", 100, 0, 1),
                new Buffer("b", 50, 1, 2),
                new Buffer("c", 80, 2, 3));
        MemoryPlan p = new GreedyBySizePlanner().plan(bufs, 1);
        assertArrayEquals(new long[] {0, 100, 0}, p.offsets());
        assertEquals(150, p.arenaSize());
        assertEquals(150, p.lowerBound());
        assertNull(p.findCollision());
    }

    @Test
    void alignmentIsRespected() {
        List<Buffer> bufs = List.of(new Buffer("a", 10, 0, 1), new Buffer("b", 10, 0, 1));
        MemoryPlan p = new GreedyBySizePlanner().plan(bufs, 16);
        for (long o : p.offsets()) assertEquals(0, o % 16);
        assertEquals(26, p.arenaSize());
    }

    @Test
    void randomLifetimesNeverCollide() {
        Random r = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            List<Buffer> bufs = new ArrayList<>();
            int n = 1 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                int first = r.nextInt(30);
                bufs.add(new Buffer("t" + i, r.nextInt(1000), first, first + r.nextInt(8)));
            }
            MemoryPlan p = new GreedyBySizePlanner().plan(bufs, 4);
            assertNull(p.findCollision(), "trial " + trial);
            assertTrue(p.arenaSize() >= p.lowerBound());
        }
    }
}
