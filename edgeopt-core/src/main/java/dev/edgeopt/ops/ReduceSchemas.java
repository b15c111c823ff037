package dev.edgeopt.ops;

/** Schemas of one op family; see {@link OpRegistry#standard()}. */
final class ReduceSchemas {
    private ReduceSchemas() {}

    static void register(OpRegistry r) {
    }
}
