package dev.edgeopt.ops;

/** Schemas of elementwise ops (unary, binary with broadcasting, activations); see {@link OpRegistry#standard()}. */
final class ElementwiseSchemas {
    private ElementwiseSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema("Relu", Infer.SAME_AS_INPUT0));
        r.register(new Schema("Add", Infer.BROADCAST));
    }
}
