/**
 * Dense tensors ({@link dev.edgeopt.tensor.Tensor}) as windows into typed Java arrays, and
 * numpy-style broadcasting ({@link dev.edgeopt.tensor.Broadcast}).
 */
package dev.edgeopt.tensor;
