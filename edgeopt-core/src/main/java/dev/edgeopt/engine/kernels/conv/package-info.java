/**
 * Convolution kernels: GEMM-based (direct for 1x1, im2col otherwise), depthwise, and transposed
 * (GEMM then col2im), over one 3-D lifted geometry ({@link dev.edgeopt.engine.kernels.conv.ConvShape}).
 */
package dev.edgeopt.engine.kernels.conv;
