/**
 * The graph IR: {@link dev.edgeopt.ir.Graph} of {@link dev.edgeopt.ir.Node}s over typed
 * {@link dev.edgeopt.ir.Value}s. Shapes may carry symbolic dimensions ({@link dev.edgeopt.ir.Dim})
 * so a dynamic batch survives import, passes and export. The IR mirrors ONNX closely on purpose:
 * op names, attribute kinds and dtype codes are ONNX's, which keeps import/export lossless.
 */
package dev.edgeopt.ir;
