/**
 * Training over the IR: a {@link dev.edgeopt.train.Tape} differentiates a Graph in reverse mode
 * with one {@link dev.edgeopt.train.GradRule} per op (keyed by the op's one name, like schemas and
 * kernels), plus losses, optimizers, schedules, the training loop and checkpoints.
 *
 * <p>Forward values in training mode are computed by the rules themselves (batch statistics,
 * dropout masks); inference-mode forwards compute exactly the ONNX semantics, which the tests check
 * against ONNX Runtime. Every rule is checked against finite differences.
 */
package dev.edgeopt.train;
