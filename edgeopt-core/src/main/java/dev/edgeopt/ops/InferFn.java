package dev.edgeopt.ops;

import dev.edgeopt.ir.TensorType;
import java.util.List;

/** Type inference as a function, so simple schemas are one line in a registry table. */
@FunctionalInterface
public interface InferFn {
    List<TensorType> infer(InferContext ctx);
}
