package dev.edgeopt.ops;

/** Schemas of one op family; see {@link OpRegistry#standard()}. */
final class QuantSchemas {
    private QuantSchemas() {}

    static void register(OpRegistry r) {
    }
}
