/**
 * Memory planning: tensor lifetimes ({@link dev.edgeopt.memory.Buffer}) placed at offsets in one
 * arena by a {@link dev.edgeopt.memory.MemoryPlanner}. The same planner serves the Java engine,
 * the device analysis (peak RAM) and the generated C code's static arena.
 */
package dev.edgeopt.memory;
