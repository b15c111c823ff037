package dev.edgeopt.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BestOfPlannerTest {
    /**
     * The start of MobileNetV1-0.25 at 96x96 in int8: input 27648 B, conv0 18432, dw1 18432,
     * pw1 36864, dw2 9216. Greedy by size puts pw1 at 0, the input at 0 (disjoint in time) and
     * then stacks conv0 and dw1 above both: 64512 B. The lower bound is dw1 + pw1 = 55296 B.
     */
    static final List<Buffer> MOBILENET_START = List.of(
            new Buffer("input", 27648, 0, 0),
            new Buffer("conv0", 18432, 0, 1),
            new Buffer("dw1", 18432, 1, 2),
            new Buffer("pw1", 36864, 2, 3),
            new Buffer("dw2", 9216, 3, 3));

    @Test
    void reachesTheLowerBoundWhereGreedyBySizeDoesNot() {
        MemoryPlan greedy = new GreedyBySizePlanner().plan(MOBILENET_START, 1);
        MemoryPlan best = new BestOfPlanner().plan(MOBILENET_START, 1);
        assertEquals(55296, best.lowerBound());
        assertEquals(64512, greedy.arenaSize());
        assertEquals(55296, best.arenaSize());
        // Size x lifetime wins: pw1 at 0, conv0 at 0 (disjoint in time), dw1 above both at 36864,
        // then the input above conv0 and dw2 above pw1.
        assertArrayEquals(new long[] {18432, 0, 36864, 0, 36864}, best.offsets());
        assertNull(best.findCollision());
    }

    @Test
    void neverWorseThanGreedyBySizeAndNeverCollides() {
        Random r = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            List<Buffer> bufs = new ArrayList<>();
            int n = 1 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                int a = r.nextInt(30), b = a + r.nextInt(6);
                bufs.add(new Buffer("t" + i, r.nextInt(5000), a, b));
            }
            long align = 1L << r.nextInt(5);
            MemoryPlan best = new BestOfPlanner().plan(bufs, align);
            assertNull(best.findCollision());
            for (long o : best.offsets()) assertEquals(0, o % align);
            assertTrue(best.arenaSize() <= new GreedyBySizePlanner().plan(bufs, align).arenaSize());
            assertTrue(best.arenaSize() >= best.lowerBound());
        }
    }
}
