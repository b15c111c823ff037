/**
 * ONNX import ({@link dev.edgeopt.onnx.OnnxImporter}) and export ({@link dev.edgeopt.onnx.OnnxExporter}),
 * TensorProto files ({@link dev.edgeopt.onnx.OnnxTensors}), and the bridge to ONNX Runtime used as
 * the oracle and the speed peer.
 */
package dev.edgeopt.onnx;
