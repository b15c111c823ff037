/**
 * edgeopt: fit and run trained neural networks on IoT devices.
 *
 * <p>The {@link dev.edgeopt.ir.Graph} is the centre; every other package is a function into it,
 * out of it, or from one graph to another. {@link dev.edgeopt.EdgeoptException} carries every
 * user-facing error as one line.
 */
package dev.edgeopt;
