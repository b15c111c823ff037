/**
 * The Java execution engine. An {@link dev.edgeopt.engine.Executor} specializes a graph to input
 * shapes as a {@link dev.edgeopt.engine.Plan}: constants are folded, each node gets a prepared
 * {@link dev.edgeopt.engine.Kernel} from the {@link dev.edgeopt.engine.KernelRegistry}, and
 * intermediate tensors live in arenas placed by the shared memory planner. Kernels run on a
 * persistent {@link dev.edgeopt.engine.ThreadPool}.
 */
package dev.edgeopt.engine;
