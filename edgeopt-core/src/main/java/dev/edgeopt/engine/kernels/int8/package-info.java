/**
 * Integer arithmetic of the int8 engine: {@link dev.edgeopt.engine.kernels.int8.Requantize}, the
 * single implementation of requantization that the Java int8 kernels and the generated C share,
 * and the kernels of the QOperator ops the integer-only engine runs after {@code lower-qdq}:
 * {@link dev.edgeopt.engine.kernels.int8.QLinearKernels} (QLinearConv, QLinearMatMul, QGemm) and
 * {@link dev.edgeopt.engine.kernels.int8.QLinearNnKernels} (QLinearAdd/Mul, QLinearConcat, pools,
 * 256-entry table ops).
 */
package dev.edgeopt.engine.kernels.int8;
