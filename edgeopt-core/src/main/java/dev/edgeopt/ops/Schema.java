package dev.edgeopt.ops;

import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/** The plain {@link OpSchema}: a name, an inference function and an optional MAC count. */
public record Schema(String name, String domain, InferFn inferFn, MacsFn macsFn) implements OpSchema {
    public Schema(String name, InferFn inferFn) { this(name, "", inferFn, null); }

    public Schema(String name, InferFn inferFn, MacsFn macsFn) { this(name, "", inferFn, macsFn); }

    @Override public List<TensorType> infer(InferContext ctx) { return inferFn.infer(ctx); }

    @Override public long macs(Node node, TensorType[] in, TensorType[] out) {
        return macsFn == null ? 0 : macsFn.macs(node, in, out);
    }
}
