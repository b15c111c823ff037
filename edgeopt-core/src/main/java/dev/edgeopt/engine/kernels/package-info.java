/**
 * Kernel factories, one per op, grouped by family. Reference kernels are plain loops that are
 * obviously correct; optimized kernels (Vector API GEMM, depthwise convolution) keep the op's name
 * and pass the same tests.
 */
package dev.edgeopt.engine.kernels;
