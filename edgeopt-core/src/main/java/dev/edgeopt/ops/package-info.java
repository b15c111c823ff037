/**
 * Op schemas: for each op, one {@link dev.edgeopt.ops.OpSchema} with its type and shape inference
 * and its cost. {@link dev.edgeopt.ops.ShapeInference} runs them over a graph, propagating symbolic
 * dimensions and folding constants.
 */
package dev.edgeopt.ops;
