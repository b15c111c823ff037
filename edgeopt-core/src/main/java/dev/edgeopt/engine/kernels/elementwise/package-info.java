/**
 * Building blocks of the elementwise and reduction kernels: broadcast row layouts, range-split
 * parallel loops, Vector API inner loops, and scalar math ONNX needs but {@link java.lang.Math}
 * lacks (erf).
 */
package dev.edgeopt.engine.kernels.elementwise;
