/**
 * Post-training quantization: calibration of activation ranges with the Java engine
 * ({@link dev.edgeopt.quant.Calibrator}, {@link dev.edgeopt.quant.RangeMethod}), rewriting a float
 * graph into standard ONNX QDQ form ({@link dev.edgeopt.quant.PostTrainingQuantizer}) and the
 * per-layer comparison of the float and quantized graphs ({@link dev.edgeopt.quant.LayerErrors}),
 * cross-layer equalization before calibration ({@link dev.edgeopt.quant.CrossLayerEqualization}),
 * sensitivity-driven mixed precision ({@link dev.edgeopt.quant.MixedPrecision}) and the
 * integer-only engine that runs the result ({@link dev.edgeopt.quant.Int8Engine}).
 * The integer arithmetic itself lives in {@link dev.edgeopt.engine.kernels.QuantMath} and
 * {@link dev.edgeopt.engine.kernels.int8.Requantize}.
 */
package dev.edgeopt.quant;
