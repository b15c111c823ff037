/**
 * Building networks as Graphs: {@link dev.edgeopt.models.ModelBuilder} (conv-bn-act,
 * depthwise-separable, residual, squeeze-excitation and dense blocks, seeded He/Glorot
 * initialization) and {@link dev.edgeopt.models.Architectures}, the reference edge models with
 * width and depth parameters that training, compression and search start from.
 */
package dev.edgeopt.models;
