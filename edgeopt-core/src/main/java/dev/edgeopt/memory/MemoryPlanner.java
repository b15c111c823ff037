package dev.edgeopt.memory;

import java.util.List;

/**
 * Places buffers in one arena so that buffers live at the same time never overlap. One planner
 * serves the Java engine's arenas, the device analysis (peak RAM) and the generated C arena.
 */
public interface MemoryPlanner {
    /** @param alignment every offset is a multiple of this (in the caller's unit) */
    MemoryPlan plan(List<Buffer> buffers, long alignment);

    /** The default planner: the best of several greedy placements, never worse than greedy by size. */
    static MemoryPlanner standard() { return new BestOfPlanner(); }
}
