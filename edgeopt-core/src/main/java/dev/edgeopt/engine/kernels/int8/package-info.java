/**
 * Integer arithmetic of the int8 engine: {@link dev.edgeopt.engine.kernels.int8.Requantize}, the
 * single implementation of requantization that the Java int8 kernels and the generated C share.
 */
package dev.edgeopt.engine.kernels.int8;
