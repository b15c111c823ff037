/**
 * Integer arithmetic of the int8 engine: {@link dev.edgeopt.engine.kernels.int8.Requantize}, the
 * single implementation of requantization that the Java int8 kernels and the generated C share, and
 * the integer kernels built on it (the QLinear GEMM-like ops in
 * {@link dev.edgeopt.engine.kernels.int8.QLinearKernels}, the other int8 ops beside them).
 */
package dev.edgeopt.engine.kernels.int8;
