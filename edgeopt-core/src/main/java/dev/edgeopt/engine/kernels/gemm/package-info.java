/**
 * The packed single-precision GEMM (Vector API micro-kernel, K/N/M cache blocking, constant operands
 * packed once) on which Conv, ConvTranspose, Gemm and MatMul run.
 */
package dev.edgeopt.engine.kernels.gemm;
