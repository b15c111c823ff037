package dev.edgeopt.engine;

import dev.edgeopt.tensor.Tensor;

/**
 * A prepared op: shapes, attributes and constant inputs were validated and precomputed (packed
 * weights, requantization multipliers, index maps) when the kernel was created, so {@link #run} is
 * plain loops. {@code run} must not allocate; parallel bodies are built once at creation.
 *
 * <p>Outputs arrive allocated with their inferred shapes. An absent optional input is null. Inputs
 * and outputs may alias only where the kernel's factory declared it.
 */
@FunctionalInterface
public interface Kernel {
    void run(Tensor[] inputs, Tensor[] outputs);
}
