/**
 * Memory planning: tensor lifetimes ({@link dev.edgeopt.memory.Buffer}) placed at offsets in one
 * arena by a {@link dev.edgeopt.memory.MemoryPlanner}. The same planner serves the Java engine,
 * the device analysis (peak RAM) and the generated C code's static arena.
 *
 * <p>{@link dev.edgeopt.memory.GraphMemory} turns a typed graph into byte-sized buffers (views
 * aliased, dying elementwise inputs reused in place, a memory-aware execution order) and reports the
 * arena, its lower bound and the live bytes per step. {@link dev.edgeopt.memory.BestOfPlanner},
 * the standard planner, keeps the smallest of several greedy placements, TFLite Micro's greedy by
 * size ({@link dev.edgeopt.memory.GreedyBySizePlanner}) among them.
 */
package dev.edgeopt.memory;
