package dev.edgeopt.ops;

import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;

/** MAC count as a function of a node's static input and output types. */
@FunctionalInterface
public interface MacsFn {
    long macs(Node node, TensorType[] in, TensorType[] out);
}
