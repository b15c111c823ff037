package dev.edgeopt.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * TensorFlow Lite Micro's greedy planner: take buffers from largest to smallest (ties: earlier first
 * use, then name), and put each at the lowest aligned offset where it fits beside every already
 * placed buffer whose lifetime intersects its own.
 *
 * <p>Large buffers placed first claim the bottom of the arena; small ones fill the gaps between
 * them. O(n^2) in the number of buffers, which is a few hundred for the models edgeopt targets.
 */
public final class GreedyBySizePlanner implements MemoryPlanner {
    @Override public MemoryPlan plan(List<Buffer> buffers, long alignment) {
        int n = buffers.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -buffers.get(i).size())
                .thenComparingInt(i -> buffers.get(i).firstUse())
                .thenComparing(i -> buffers.get(i).name()));
        long[] offsets = new long[n];
        boolean[] placed = new boolean[n];
        long arena = 0;
        List<long[]> busy = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int i = order[k];
            Buffer b = buffers.get(i);
            busy.clear();
            for (int j = 0; j < n; j++) {
                if (placed[j] && buffers.get(j).overlapsInTime(b) && buffers.get(j).size() > 0) {
                    busy.add(new long[] {offsets[j], offsets[j] + buffers.get(j).size()});
                }
            }
            busy.sort(Comparator.comparingLong(x -> x[0]));
            long candidate = 0;
            for (long[] r : busy) {
                if (candidate + b.size() <= r[0]) break;
                candidate = Math.max(candidate, align(r[1], alignment));
            }
            offsets[i] = candidate;
            placed[i] = true;
            arena = Math.max(arena, candidate + b.size());
        }
        return new MemoryPlan(List.copyOf(buffers), offsets, arena);
    }

    static long align(long v, long a) { return a <= 1 ? v : (v + a - 1) / a * a; }
}
