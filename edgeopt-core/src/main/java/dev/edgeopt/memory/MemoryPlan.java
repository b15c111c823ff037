package dev.edgeopt.memory;

import java.util.List;

/** Offsets for each buffer (in the order given to the planner) and the arena size they need. */
public record MemoryPlan(List<Buffer> buffers, long[] offsets, long arenaSize) {
    /**
     * The largest total size of buffers live at one step: no placement can do better, so
     * {@code arenaSize / lowerBound()} measures a planner.
     */
    public long lowerBound() { return lowerBound(buffers); }

    public static long lowerBound(List<Buffer> buffers) {
        int steps = 0;
        for (Buffer b : buffers) steps = Math.max(steps, b.lastUse() + 1);
        long[] live = new long[steps + 1];
        for (Buffer b : buffers) {
            live[b.firstUse()] += b.size();
            live[b.lastUse() + 1] -= b.size();
        }
        long best = 0, cur = 0;
        for (int s = 0; s < steps; s++) {
            cur += live[s];
            best = Math.max(best, cur);
        }
        return best;
    }

    /** Bytes live at each step, for memory profiles. */
    public long[] liveProfile() {
        int steps = 0;
        for (Buffer b : buffers) steps = Math.max(steps, b.lastUse() + 1);
        long[] live = new long[steps];
        for (Buffer b : buffers) for (int s = b.firstUse(); s <= b.lastUse(); s++) live[s] += b.size();
        return live;
    }

    /** Checks that no two buffers live at the same time share memory; returns the first collision or null. */
    public String findCollision() {
        for (int i = 0; i < buffers.size(); i++) {
            Buffer a = buffers.get(i);
            for (int j = i + 1; j < buffers.size(); j++) {
                Buffer b = buffers.get(j);
                if (a.size() == 0 || b.size() == 0 || !a.overlapsInTime(b)) continue;
                if (offsets[i] < offsets[j] + b.size() && offsets[j] < offsets[i] + a.size()) {
                    return a.name() + " [" + offsets[i] + "," + (offsets[i] + a.size()) + ") and " + b.name() + " [" + offsets[j] + "," + (offsets[j] + b.size()) + ")";
                }
            }
        }
        return null;
    }
}
