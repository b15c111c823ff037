package dev.edgeopt.ops;

import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/**
 * What an op is, independent of how it runs: its name (the same in every layer), how output types
 * follow from inputs and attributes, and what one execution costs.
 */
public interface OpSchema {
    /** The op type, e.g. "Conv". */
    String name();

    /** "" for ai.onnx; "edgeopt" for ops of our own (fused or integer ops). */
    default String domain() { return ""; }

    /**
     * Output types for the node. Shapes may be symbolic. Called with whatever the context knows: input
     * types always (possibly with unknown dims), input values when they are constants.
     *
     * @throws dev.edgeopt.EdgeoptException via {@link InferContext#fail} on invalid input
     */
    List<TensorType> infer(InferContext ctx);

    /**
     * Multiply-accumulates for one execution. {@code in} and {@code out} are the node's input and
     * output types (static shapes; absent optional inputs are null). Only MAC-bearing ops (Conv,
     * ConvTranspose, Gemm, MatMul and their fused or integer forms) return non-zero.
     */
    default long macs(Node node, TensorType[] in, TensorType[] out) { return 0; }
}
