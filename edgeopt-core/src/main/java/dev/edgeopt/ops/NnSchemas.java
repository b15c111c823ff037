package dev.edgeopt.ops;

/** Schemas of one op family; see {@link OpRegistry#standard()}. */
final class NnSchemas {
    private NnSchemas() {}

    static void register(OpRegistry r) {
    }
}
